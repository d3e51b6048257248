import Foundation
import TowerConfig

/// Serves a `MetricsRegistry` for Prometheus at `GET /metrics` (and the daemon's `GET /health`) on a loopback address
/// (`TOWER_METRICS_ADDR`, default `127.0.0.1:9464`). A plain POSIX socket on one background thread,
/// answering one short request at a time (2 s read/write timeouts, `Connection: close`).
public final class MetricsHTTPServer: @unchecked Sendable {
    public static let defaultAddress = "127.0.0.1:9464"

    public let host: String
    private let registry: MetricsRegistry
    private let health: (@Sendable () -> (healthy: Bool, text: String))?
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var boundPort: UInt16 = 0
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameter address: `HOST:PORT` with an IPv4 host or `localhost`; port 0 picks a free port.
    /// - Throws: `ConfigError.invalid` for a malformed address.
    /// - Parameter health: answers `GET /health` (200 when healthy, else 503, with a line saying why); 404 without.
    public init(registry: MetricsRegistry, address: String = MetricsHTTPServer.defaultAddress, key: String = "TOWER_METRICS_ADDR",
                health: (@Sendable () -> (healthy: Bool, text: String))? = nil) throws {
        self.health = health
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        let expected = "HOST:PORT with an IPv4 host, e.g. 127.0.0.1:9464"
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw ConfigError.invalid(key: key, value: address, expected: expected) }
        let host = parts[0] == "localhost" ? "127.0.0.1" : String(parts[0])
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else { throw ConfigError.invalid(key: key, value: address, expected: expected) }
        self.host = host
        self.boundPort = port
        self.registry = registry
    }

    /// The address configured under `key` (default `127.0.0.1:9464`), or nil when it is `off`.
    public static func configuredAddress(_ source: ConfigSource, key: String = "TOWER_METRICS_ADDR") -> String? {
        guard let value = source[key] else { return defaultAddress }
        return value.lowercased() == "off" ? nil : value
    }

    /// The port being served (the chosen one when the address said 0).
    public var port: UInt16 {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    /// Binds and starts serving on a background thread.
    /// - Throws: `MetricsServerError.cannotListen` (port in use, permission).
    public func start() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError.cannotListen(address: "\(host):\(port)", reason: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0 && listen(fd, 16) == 0
        guard ok else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw MetricsServerError.cannotListen(address: "\(host):\(port)", reason: reason)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        lock.lock()
        listener = fd
        boundPort = UInt16(bigEndian: address.sin_port)
        lock.unlock()
        let thread = Thread { [self] in
            serve(fd)
            finished.signal()
        }
        thread.name = "tower-metrics"
        thread.start()
    }

    /// Stops serving and waits for the thread to finish.
    public func stop() {
        lock.lock()
        let fd = listener
        listener = -1
        lock.unlock()
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        finished.wait()
        close(fd)
    }

    private func serve(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            respond(client)
            close(client)
        }
    }

    private func respond(_ client: Int32) {
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384, !request.ends(with: [13, 10, 13, 10]), !request.ends(with: [10, 10]) {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            request += chunk[..<n]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let method = line.first.map(String.init) ?? ""
        let path = line.count > 1 ? String(line[1].prefix { $0 != "?" }) : ""
        let (status, type, body): (String, String, String)
        switch (method, path) {
        case ("GET", "/metrics"), ("HEAD", "/metrics"):
            (status, type, body) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", registry.render())
        case ("GET", "/health"), ("HEAD", "/health"):
            let answer = health?() ?? (healthy: false, text: "no health report here\n")
            (status, type, body) = (health == nil ? "404 Not Found" : answer.healthy ? "200 OK" : "503 Service Unavailable",
                                    "text/plain; charset=utf-8", answer.text)
        case ("GET", "/"), ("HEAD", "/"):
            (status, type, body) = ("200 OK", "text/plain; charset=utf-8", "towerd: GET /metrics, GET /health\n")
        case ("GET", _), ("HEAD", _):
            (status, type, body) = ("404 Not Found", "text/plain; charset=utf-8", "not found: GET /metrics\n")
        default:
            (status, type, body) = ("405 Method Not Allowed", "text/plain; charset=utf-8", "only GET\n")
        }
        let payload = Array(body.utf8)
        var response = Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8)
        if method != "HEAD" { response += payload }
        var offset = 0
        while offset < response.count {
            let n = response[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            offset += n
        }
    }
}

extension MetricsHTTPServer {
    /// What a running daemon's `GET /health` at `address` (`HOST:PORT`) answers: healthy (200) or not (503), and
    /// its line; nil when nothing answers so within 2 s.
    public static func health(at address: String) -> (healthy: Bool, text: String)? {
        guard let server = try? MetricsHTTPServer(registry: MetricsRegistry(), address: address) else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = server.port.bigEndian
        inet_pton(AF_INET, server.host, &peer.sin_addr)
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let request = Array("GET /health HTTP/1.0\r\nHost: \(server.host)\r\n\r\n".utf8)
        guard connected == 0, request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var answer = [UInt8](), chunk = [UInt8](repeating: 0, count: 4096)
        while answer.count < 65_536 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            answer += chunk[..<n]
        }
        // Only towerd's two answers count: anything else there (another server, an older towerd) is not a report.
        let text = String(decoding: answer, as: UTF8.self)
        let healthy = text.hasPrefix("HTTP/1.1 200 "), unhealthy = text.hasPrefix("HTTP/1.1 503 ")
        guard healthy || unhealthy, let split = text.range(of: "\r\n\r\n") else { return nil }
        return (healthy, text[split.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The metrics endpoint could not start.
public enum MetricsServerError: Error, CustomStringConvertible, Equatable {
    case cannotListen(address: String, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let reason):
            return "cannot serve metrics on \(address) (\(reason)): pick a free port with TOWER_METRICS_ADDR, or set it to off"
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix) }
}
