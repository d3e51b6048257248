import Foundation

/// Masks the secrets of a connection string in libpq's messages, which can quote them: a malformed URL's
/// error repeats the offending part (`invalid percent-encoded token: "s3cr%zz"`), which may be the password.
public enum ConnectionSecrets {
    /// The replacement for a removed secret.
    static let mask = "***"

    /// `message` with every secret of `conninfo` (its URL password, `password=` and `sslpassword=` values, raw and
    /// percent-decoded) and any whole URL password replaced by `***`.
    static func redact(_ message: String, conninfo: String) -> String {
        values(in: conninfo).sorted { $0.count > $1.count }.reduce(message) { $0.replacingOccurrences(of: $1, with: mask) }
    }

    /// The secret values written in `conninfo` (a `postgres[ql]://` URL or `key=value` pairs), raw and decoded.
    public static func values(in conninfo: String) -> [String] {
        var found: [String] = []
        let lower = conninfo.lowercased()
        if let scheme = ["postgresql://", "postgres://"].first(where: lower.hasPrefix) {
            let rest = conninfo.dropFirst(scheme.count)
            let beforeQuery = rest.prefix { $0 != "?" }
            // The user info ends at an `@`: the first (as libpq reads it) or the last (a password with a raw `@`).
            for at in [beforeQuery.firstIndex(of: "@"), beforeQuery.lastIndex(of: "@")].compactMap({ $0 }) {
                let userInfo = beforeQuery[..<at]
                if let colon = userInfo.firstIndex(of: ":") { found.append(String(userInfo[userInfo.index(after: colon)...])) }
            }
            if let query = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: query)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, isSecretKey(parts[0]) { found.append(String(parts[1])) }
                }
            }
        } else {
            found += keywordValues(conninfo)
        }
        found += found.compactMap { $0.removingPercentEncoding }
        return Array(Set(found.filter { !$0.isEmpty }))
    }

    private static func isSecretKey(_ key: Substring) -> Bool {
        ["password", "sslpassword"].contains(key.lowercased())
    }

    /// `password` and `sslpassword` values of a libpq keyword/value string (`host=db password='a b'`).
    private static func keywordValues(_ conninfo: String) -> [String] {
        var found: [String] = []
        var i = conninfo.startIndex
        while i < conninfo.endIndex {
            while i < conninfo.endIndex, conninfo[i].isWhitespace { i = conninfo.index(after: i) }
            let keyStart = i
            while i < conninfo.endIndex, conninfo[i] != "=", !conninfo[i].isWhitespace { i = conninfo.index(after: i) }
            let key = conninfo[keyStart..<i]
            while i < conninfo.endIndex, conninfo[i].isWhitespace { i = conninfo.index(after: i) }
            guard i < conninfo.endIndex, conninfo[i] == "=" else { continue }
            i = conninfo.index(after: i)
            while i < conninfo.endIndex, conninfo[i].isWhitespace { i = conninfo.index(after: i) }
            var value = ""
            if i < conninfo.endIndex, conninfo[i] == "'" {
                i = conninfo.index(after: i)
                while i < conninfo.endIndex, conninfo[i] != "'" {
                    if conninfo[i] == "\\" { i = conninfo.index(after: i); if i == conninfo.endIndex { break } }
                    value.append(conninfo[i])
                    i = conninfo.index(after: i)
                }
                if i < conninfo.endIndex { i = conninfo.index(after: i) }
            } else {
                while i < conninfo.endIndex, !conninfo[i].isWhitespace { value.append(conninfo[i]); i = conninfo.index(after: i) }
            }
            if isSecretKey(key) { found.append(value) }
        }
        return found
    }
}
