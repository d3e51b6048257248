import Foundation

/// A datagram socket standing in for systemd's notification socket.
public final class FakeSystemd: @unchecked Sendable {
    let fd: Int32
    public let name: String

    public init(abstract: Bool) throws {
        let id = "tower-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        name = abstract ? "@" + id : FileManager.default.temporaryDirectory.appendingPathComponent(id).path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    public func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }

    /// Every datagram received, with when; `startCollecting()` runs a thread that fills it until the socket closes.
    private let lock = NSLock()
    private var collected: [(Date, String)] = []

    public func startCollecting() {
        Thread.detachNewThread { [weak self] in
            while let self, self.isOpen {
                if let message = self.receive() { self.lock.withLock { self.collected.append((Date(), message)) } }
            }
        }
    }

    private var open = true
    private var isOpen: Bool { lock.withLock { open } }
    public func stopCollecting() { lock.withLock { open = false } }

    /// Datagrams received since `date`.
    public func messages(since date: Date = .distantPast) -> [String] { lock.withLock { collected.filter { $0.0 >= date }.map(\.1) } }
}
