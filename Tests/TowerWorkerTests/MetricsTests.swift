import Foundation
import TowerConfig
import XCTest
@testable import TowerWorker

final class MetricsTests: XCTestCase {
    func testTextFormat() {
        let registry = MetricsRegistry()
        let rejected = registry.counter("tower_events_rejected_total", help: "Messages refused.\nBy reason \\ code.", labels: ["reason"])
        let lag = registry.gauge("tower_queue_lag_seconds", help: "Queue lag.")
        let latency = registry.histogram("tower_batch_seconds", help: "Batch latency.", buckets: [0.005, 0.01, 0.1])
        rejected.inc(labels: ["malformed_json"])
        rejected.inc(by: 2, labels: ["unknown_event_type"])
        rejected.inc(by: 0, labels: ["a \"quoted\"\nvalue\\"])
        lag.set(1.25)
        for v in [0.001, 0.005, 0.02, 3] { latency.observe(v) }
        XCTAssertEqual(registry.render(), """
        # HELP tower_events_rejected_total Messages refused.\\nBy reason \\\\ code.
        # TYPE tower_events_rejected_total counter
        tower_events_rejected_total{reason="a \\"quoted\\"\\nvalue\\\\"} 0
        tower_events_rejected_total{reason="malformed_json"} 1
        tower_events_rejected_total{reason="unknown_event_type"} 2
        # HELP tower_queue_lag_seconds Queue lag.
        # TYPE tower_queue_lag_seconds gauge
        tower_queue_lag_seconds 1.25
        # HELP tower_batch_seconds Batch latency.
        # TYPE tower_batch_seconds histogram
        tower_batch_seconds_bucket{le="0.005"} 2
        tower_batch_seconds_bucket{le="0.01"} 2
        tower_batch_seconds_bucket{le="0.1"} 3
        tower_batch_seconds_bucket{le="+Inf"} 4
        tower_batch_seconds_sum 3.026
        tower_batch_seconds_count 4

        """)
    }

    func testLabelledHistogramAndValues() {
        let registry = MetricsRegistry()
        let h = registry.histogram("req_seconds", help: "h", buckets: [1], labels: ["action"])
        h.observe(0.5, labels: ["Receive"])
        h.observe(2, labels: ["Receive"])
        XCTAssertEqual(h.count(labels: ["Receive"]), 2)
        XCTAssertTrue(registry.render().contains(#"req_seconds_bucket{action="Receive",le="1"} 1"#))
        XCTAssertTrue(registry.render().contains(#"req_seconds_bucket{action="Receive",le="+Inf"} 2"#))
        let g = registry.gauge("g", help: "g")
        g.add(2)
        g.add(-0.5)
        XCTAssertEqual(g.value(), 1.5)
        XCTAssertEqual(MetricFamily.format(.infinity), "+Inf")
        XCTAssertEqual(MetricFamily.format(.nan), "NaN")
        XCTAssertEqual(MetricFamily.format(1e-7), "1e-07")
        XCTAssertFalse(MetricFamily.isValidName("9lives"))
        XCTAssertTrue(MetricFamily.isValidName("tower:events_total"))
    }

    func testConcurrentUpdatesAreNotLost() {
        let registry = MetricsRegistry()
        let counter = registry.counter("c_total", help: "c", labels: ["k"])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for _ in 0..<1000 { counter.inc(labels: ["\(i % 2)"]) }
            _ = registry.render()
        }
        XCTAssertEqual(counter.value(labels: ["0"]) + counter.value(labels: ["1"]), 8000)
    }

    func testHTTPEndpointServesTheRegistry() throws {
        let registry = MetricsRegistry()
        registry.counter("tower_up_total", help: "x").inc()
        let server = try MetricsHTTPServer(registry: registry, address: "127.0.0.1:0")
        try server.start()
        defer { server.stop() }
        XCTAssertNotEqual(server.port, 0)
        let (status, headers, body) = try get(port: server.port, path: "/metrics")
        XCTAssertEqual(status, "HTTP/1.1 200 OK")
        XCTAssertTrue(headers.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        XCTAssertEqual(body, registry.render())
        XCTAssertEqual(try get(port: server.port, path: "/nope").status, "HTTP/1.1 404 Not Found")
        XCTAssertEqual(try get(port: server.port, path: "/metrics", method: "POST").status, "HTTP/1.1 405 Method Not Allowed")

        let busy = try MetricsHTTPServer(registry: registry, address: "127.0.0.1:\(server.port)")
        XCTAssertThrowsError(try busy.start()) { XCTAssertTrue("\($0)".contains("TOWER_METRICS_ADDR")) }
    }

    func testAddressConfiguration() {
        XCTAssertThrowsError(try MetricsHTTPServer(registry: MetricsRegistry(), address: "9464"))
        XCTAssertThrowsError(try MetricsHTTPServer(registry: MetricsRegistry(), address: "example.com:9464"))
        XCTAssertEqual(try MetricsHTTPServer(registry: MetricsRegistry(), address: "localhost:9464").host, "127.0.0.1")
        XCTAssertEqual(MetricsHTTPServer.configuredAddress(ConfigSource(values: [:])), "127.0.0.1:9464")
        XCTAssertNil(MetricsHTTPServer.configuredAddress(ConfigSource(values: ["TOWER_METRICS_ADDR": "off"])))
    }

    /// A raw HTTP/1.1 request over a socket.
    private func get(port: UInt16, path: String, method: String = "GET") throws -> (status: String, headers: [String], body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += chunk[..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        return (head[0], Array(head.dropFirst()), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
