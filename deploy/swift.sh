# Makes a Swift 6 toolchain available: source it (`. deploy/swift.sh`) so PATH reaches the caller.
#
# Uses `swift` from PATH when it is Swift 6 or newer, else /opt/swift/usr/bin when present; otherwise
# installs the official swift.org toolchain for Debian 12 into /opt/swift (its apt dependencies first;
# the tarball's GPG signature is checked against swift.org's published keys). Idempotent.
# SWIFT_VERSION chooses the release (default 6.3.1); sudo is used when not root.

tower_swift_ok() { command -v swift >/dev/null 2>&1 && swift --version 2>/dev/null | grep -Eq 'Swift version ([6-9]|[1-9][0-9])\.'; }

tower_install_swift() {
    local version="${SWIFT_VERSION:-6.3.1}" sudo="" tmp
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "[swift] installing Swift $version into /opt/swift" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        binutils ca-certificates curl gcc git gnupg libcurl4-openssl-dev libedit-dev libicu-dev \
        libncurses-dev libpython3-dev libsqlite3-dev libstdc++-12-dev libxml2-dev pkg-config tzdata uuid-dev \
        zlib1g-dev >/dev/null
    tmp="$(mktemp -d)"
    local base="https://download.swift.org/swift-$version-release/debian12/swift-$version-RELEASE/swift-$version-RELEASE-debian12.tar.gz"
    curl -fsSL "$base" -o "$tmp/swift.tar.gz"
    curl -fsSL "$base.sig" -o "$tmp/swift.tar.gz.sig"
    curl -fsSL https://www.swift.org/keys/all-keys.asc -o "$tmp/keys.asc"
    GNUPGHOME="$tmp" gpg --batch --quiet --import "$tmp/keys.asc"
    GNUPGHOME="$tmp" gpg --batch --quiet --verify "$tmp/swift.tar.gz.sig" "$tmp/swift.tar.gz" \
        || { echo "[swift] signature check failed" >&2; rm -rf "$tmp"; return 1; }
    $sudo mkdir -p /opt/swift
    $sudo tar -xzf "$tmp/swift.tar.gz" -C /opt/swift --strip-components=1
    rm -rf "$tmp"
}

if ! tower_swift_ok; then
    [ -x /opt/swift/usr/bin/swift ] || tower_install_swift
    export PATH="/opt/swift/usr/bin:$PATH"
    tower_swift_ok || { echo "[swift] no Swift 6 toolchain found or installed" >&2; return 1 2>/dev/null || exit 1; }
fi
