import Foundation
import TowerTestSupport
import XCTest

/// towerd's `/metrics` keeps what dashboards and alerts query: every family's name, type, labels and histogram
/// buckets as the hand-written registry of earlier releases served them (`Tests/Fixtures/metrics/towerd.prom`,
/// captured from a running towerd before the move to swift-metrics and swift-prometheus).
extension DaemonTests {
    func testMetricsKeepTheirNamesTypesLabelsAndBuckets() throws {
        fixture = try WorkerFixture(name)
        let d = try startAndWait(["TOWER_METRICS_ADDR": "127.0.0.1:0"])
        let ids = try fixture.send(bodies(12, customers: 4))
        try waitUntilDrained(ids, timeout: 60)
        let endpoint = try XCTUnwrap(d.log.first { $0["msg"] as? String == "started" }?["metrics"] as? String)
        let text = try Self.get(endpoint)
        let metrics = PrometheusText(text)
        let before = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("Tests/Fixtures/metrics/towerd.prom"), encoding: .utf8)
        XCTAssertEqual(metrics.families, PrometheusText(before).families, text)
        XCTAssertEqual(metrics.families.count, 16)
        XCTAssertEqual(metrics.value("tower_events_applied_total"), 12, text)
        XCTAssertEqual(metrics.value("tower_queue_lag_seconds_count"), 12, text)
        XCTAssertEqual(metrics.value("tower_model_info", ["version": "untrained-v1"]), 1, text)
        XCTAssertEqual(metrics.value("tower_database_up"), 1, text)
        XCTAssertEqual(metrics.value("tower_events_rejected_total", ["reason": "malformed_json"]), 0, "every reason from the start")
        stop(d)
    }
}
