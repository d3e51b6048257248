import Foundation

/// systemd's readiness protocol (`sd_notify`) without libsystemd: datagrams to `$NOTIFY_SOCKET`.
///
/// Without `NOTIFY_SOCKET` (not started by systemd, or not `Type=notify`) every call is a no-op that
/// returns false. The socket may be a path or an abstract name (`@name`).
public struct SystemdNotifier: Sendable {
    /// `NOTIFY_SOCKET`, or nil when notifications are off.
    public let socketPath: String?
    /// `WATCHDOG_USEC` in seconds, when the watchdog is on for this process (`WATCHDOG_PID` absent or ours).
    public let watchdogTimeout: Double?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.hasPrefix("/") || $0.hasPrefix("@") ? $0 : nil }
        socketPath = path
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogTimeout = Double(usec) / 1_000_000
        } else {
            watchdogTimeout = nil
        }
    }

    /// True when a notification socket is configured.
    public var isEnabled: Bool { socketPath != nil }

    /// How often to send `WATCHDOG=1`: half the watchdog timeout, as systemd recommends; nil without watchdog.
    public var watchdogInterval: Double? { watchdogTimeout.map { $0 / 2 } }

    /// `READY=1` (startup finished), with an optional status line.
    @discardableResult public func ready(status: String? = nil) -> Bool {
        notify("READY=1" + (status.map { "\nSTATUS=\(Self.oneLine($0))" } ?? ""))
    }

    /// `STOPPING=1` (shutdown began).
    @discardableResult public func stopping() -> Bool { notify("STOPPING=1") }

    /// `WATCHDOG=1` (still healthy). Send it from the loop that does the work, so a stuck loop stops it.
    @discardableResult public func watchdog() -> Bool { notify("WATCHDOG=1") }

    /// `RELOADING=1` with `MONOTONIC_USEC` (a reload began); send `ready()` when it is done.
    @discardableResult public func reloading() -> Bool {
        // systemUptime is CLOCK_MONOTONIC, the clock systemd compares MONOTONIC_USEC with.
        notify("RELOADING=1\nMONOTONIC_USEC=\(UInt64(ProcessInfo.processInfo.systemUptime * 1_000_000))")
    }

    /// `STATUS=…`: the one-line status `systemctl status` shows.
    @discardableResult public func status(_ text: String) -> Bool { notify("STATUS=\(Self.oneLine(text))") }

    /// Sends `state` (newline-separated `KEY=VALUE` assignments) as one datagram; false when off or on failure.
    @discardableResult public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let payload = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), addr, length) }
            }
        }
        return sent == payload.count
    }

    private static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }
}
