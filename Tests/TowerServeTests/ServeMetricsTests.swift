import Foundation
import TowerTestSupport
import XCTest
@testable import TowerServe

/// `tower serve`'s `/metrics` keeps what dashboards and alerts query: names, types, labels and buckets as earlier
/// releases served them (`Tests/Fixtures/metrics/tower-serve.prom`, captured from a running `tower serve` before the move
/// to swift-metrics and swift-prometheus).
final class ServeMetricsTests: XCTestCase {
    func testMetricsKeepTheirNamesTypesLabelsAndBuckets() async throws {
        let f = try ServeFixture("servemetrics")
        try await f.start(f.configuration())
        for path in ["/v1/products/7", "/v1/products/999", "/nope"] { _ = try await f.get(path) }
        let text = String(decoding: try await f.get("/metrics").data, as: UTF8.self)
        let metrics = PrometheusText(text)
        let before = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("Tests/Fixtures/metrics/tower-serve.prom"), encoding: .utf8)
        XCTAssertEqual(metrics.families, PrometheusText(before).families, text)
        XCTAssertEqual(Set(metrics.families.keys), ["tower_api_requests_total", "tower_api_request_duration_seconds", "tower_api_queued_requests"])
        XCTAssertEqual(metrics.value("tower_api_requests_total", ["route": "/v1/products/{product}", "method": "GET", "status": "404"]), 1, text)
        XCTAssertEqual(metrics.value("tower_api_request_duration_seconds_count", ["route": "unmatched", "status": "404"]), 1, text)
        XCTAssertEqual(metrics.value("tower_api_queued_requests"), 0, text)
    }
}
