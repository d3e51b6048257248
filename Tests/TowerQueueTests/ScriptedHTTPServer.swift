import Foundation

/// A tiny HTTP/1.1 server on 127.0.0.1 for tests: records every raw request and answers with
/// scripted replies (then `defaultReply`). One thread per connection; keep-alive supported.
final class ScriptedHTTPServer: @unchecked Sendable {
    enum Reply {
        case respond(status: Int, headers: [String] = [], body: String)
        /// Close the connection without answering (a network failure for the client).
        case dropConnection
        /// Answer only after `seconds` (or when the server stops).
        case delayed(seconds: Double, status: Int, body: String)
    }

    struct Recorded {
        var request: ReferenceSigV4.Request
        var connection: Int
        func header(_ name: String) -> String? { request.values(name).first }
    }

    private let lock = NSCondition()
    private var script: [Reply] = []
    private var recorded: [Recorded] = []
    private var stopped = false
    private var connections: [Int32] = []
    private let listener: Int32
    let port: UInt16
    var defaultReply = Reply.respond(status: 200, body: "{}")
    /// When set, answers each request by its method and path (before the script); nil falls through to the script.
    var router: (@Sendable (ReferenceSigV4.Request) -> Reply?)?

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func enqueue(_ replies: Reply...) {
        lock.lock()
        script += replies
        lock.unlock()
    }

    var requests: [Recorded] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func stop() {
        lock.lock()
        stopped = true
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        lock.broadcast()
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        var number = 0
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            number += 1
            let connection = number
            lock.lock()
            connections.append(fd)
            lock.unlock()
            Thread.detachNewThread { [self] in serve(fd, connection: connection) }
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        while let request = readRequest(fd, buffer: &buffer) {
            lock.lock()
            recorded.append(Recorded(request: request, connection: connection))
            let reply = router?(request) ?? (script.isEmpty ? defaultReply : script.removeFirst())
            lock.unlock()
            switch reply {
            case .dropConnection:
                return
            case .respond(let status, let headers, let body):
                write(fd, status: status, headers: headers, body: body)
            case .delayed(let seconds, let status, let body):
                lock.lock()
                let deadline = Date(timeIntervalSinceNow: seconds)
                while !stopped, lock.wait(until: deadline) {}
                lock.unlock()
                write(fd, status: status, headers: [], body: body)
            }
        }
    }

    private func write(_ fd: Int32, status: Int, headers: [String], body: String) {
        let bytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status) Status\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: \(bytes.count)\r\n"
        for line in headers { head += line + "\r\n" }
        let data = Array((head + "\r\n").utf8) + bytes
        _ = data.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads one request (head + Content-Length body); nil when the peer closed.
    private func readRequest(_ fd: Int32, buffer: inout [UInt8]) -> ReferenceSigV4.Request? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while true {
            if headEnd == nil, let range = firstRange(of: separator, in: buffer) { headEnd = range }
            if let end = headEnd {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let requestLine = lines.removeFirst().split(separator: " ")
                let headers = lines.compactMap { line -> (name: String, value: String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
                if buffer.count >= end + 4 + length {
                    let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                    buffer.removeFirst(end + 4 + length)
                    let target = String(requestLine[1])
                    let path = String(target.prefix { $0 != "?" })
                    let query = target.contains("?") ? String(target.drop { $0 != "?" }.dropFirst()) : ""
                    return .init(method: String(requestLine[0]), path: path, query: query, headers: headers, body: body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            buffer += chunk[..<n]
        }
    }

    private func firstRange(of pattern: [UInt8], in data: [UInt8]) -> Int? {
        guard data.count >= pattern.count else { return nil }
        for i in 0...(data.count - pattern.count) where data[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
        return nil
    }
}
