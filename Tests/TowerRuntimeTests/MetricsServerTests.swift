import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TowerConfig
import TowerRuntime
import TowerTestSupport
import XCTest

/// The metrics endpoint as a real server on a free loopback port.
final class MetricsServerTests: XCTestCase {
    private let logger = Logger(label: "test")

    /// Runs `server` in a service group until `body` returns; `body` gets the port it listens on.
    private func serving(_ server: MetricsServer, _ body: (Int) async throws -> Void) async throws {
        let group = ServiceGroup(services: [server], logger: logger)
        let running = Task { try await group.run() }
        var ports = server.listening.makeAsyncIterator()
        let port = await ports.next()
        do {
            try await body(try XCTUnwrap(port, "the server did not listen"))
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    private func get(_ port: Int, _ path: String, method: String = "GET") async throws -> (status: Int, type: String?, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), String(decoding: data, as: UTF8.self))
    }

    func testServesTheRegistryAndTheHealthReport() async throws {
        let metrics = PrometheusMetrics()
        Counter(label: "tower_up_total", factory: metrics.factory).increment()
        let healthy = ManagedFlag(true)
        let server = MetricsServer(address: try ListenAddress("127.0.0.1:0", key: "TOWER_METRICS_ADDR"), metrics: metrics,
                                   health: { HealthReport(healthy: healthy.value, text: healthy.value ? "ok: consuming\n" : "unhealthy: database down\n") },
                                   logger: logger)
        try await serving(server) { port in
            let scrape = try await get(port, "/metrics")
            XCTAssertEqual(scrape.status, 200)
            XCTAssertEqual(scrape.type, PrometheusMetrics.contentType)
            XCTAssertEqual(PrometheusText(scrape.body).value("tower_up_total"), 1)
            let unknown = try await get(port, "/nope"), posted = try await get(port, "/metrics", method: "POST")
            XCTAssertEqual(unknown.status, 404)
            XCTAssertEqual(posted.status, 404, "GET only")

            let address = try ListenAddress("127.0.0.1:\(port)", key: "TOWER_METRICS_ADDR")
            let ok = await HealthReport.query(address)
            XCTAssertEqual(ok, HealthReport(healthy: true, text: "ok: consuming"))
            healthy.value = false
            let unhealthy = try await get(port, "/health"), report = await HealthReport.query(address)
            XCTAssertEqual(unhealthy.status, 503)
            XCTAssertEqual(report, HealthReport(healthy: false, text: "unhealthy: database down"))

            let busy = MetricsServer(address: address, metrics: metrics, logger: logger)
            do {
                try await busy.run()
                XCTFail("a second server on a port in use must not start")
            } catch {
                XCTAssertTrue("\(error)".contains("pick a free port with TOWER_METRICS_ADDR"), "\(error)")
            }
        }
    }

    func testNothingAnsweringIsNoHealthReport() async throws {
        let address = try ListenAddress("127.0.0.1:1", key: "K") // nothing listens on port 1
        let none = await HealthReport.query(address)
        XCTAssertNil(none)
    }

    func testAddressConfiguration() throws {
        XCTAssertThrowsError(try ListenAddress("9464", key: "TOWER_METRICS_ADDR")) { XCTAssertTrue("\($0)".contains("TOWER_METRICS_ADDR")) }
        XCTAssertThrowsError(try ListenAddress("example.com:9464", key: "K"))
        XCTAssertThrowsError(try ListenAddress("127.0.0.1:70000", key: "K"))
        XCTAssertEqual(try ListenAddress("localhost:9464", key: "K"), try ListenAddress("127.0.0.1:9464", key: "K"))
        let fallback = MetricsServer.defaultAddress
        XCTAssertEqual(try ListenAddress.configured(ConfigSource(values: [:]), key: "K", fallback: fallback)?.description, "127.0.0.1:9464")
        XCTAssertNil(try ListenAddress.configured(ConfigSource(values: ["K": "off"]), key: "K", fallback: fallback))
    }
}

/// A flag the health closure reads while the test flips it.
private final class ManagedFlag: Sendable {
    private let state: Mutex<Bool>
    init(_ value: Bool) { state = Mutex(value) }
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
