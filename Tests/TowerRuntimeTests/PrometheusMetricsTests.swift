import Dispatch
import Metrics
import TowerRuntime
import TowerTestSupport
import XCTest

final class PrometheusMetricsTests: XCTestCase {
    func testSwiftMetricsRenderAsPrometheusFamilies() {
        let metrics = PrometheusMetrics(timerBuckets: ["tower_batch_seconds": [0.005, 0.01, 0.1]])
        let factory = metrics.factory
        Counter(label: "tower_events_rejected_total", dimensions: [("reason", "malformed_json")], factory: factory).increment()
        Counter(label: "tower_events_rejected_total", dimensions: [("reason", "unknown_event_type")], factory: factory).increment(by: 2)
        Counter(label: "tower_events_rejected_total", dimensions: [("reason", "a \"quoted\"\nvalue\\")], factory: factory).increment(by: 0)
        Gauge(label: "tower_queue_lag_seconds", factory: factory).record(1.25)
        let latency = Metrics.Timer(label: "tower_batch_seconds", factory: factory)
        for seconds in [0.001, 0.005, 0.02, 3] { latency.recordSeconds(seconds) }

        let text = PrometheusText(metrics.exposition())
        XCTAssertEqual(text.families, [
            "tower_events_rejected_total": .init("counter", labels: ["reason"]),
            "tower_queue_lag_seconds": .init("gauge"),
            "tower_batch_seconds": .init("histogram", buckets: [0.005, 0.01, 0.1, .infinity]),
        ])
        XCTAssertEqual(text.value("tower_events_rejected_total", ["reason": "unknown_event_type"]), 2)
        XCTAssertEqual(text.value("tower_events_rejected_total", ["reason": "a \"quoted\"\nvalue\\"]), 0, "escaped and read back")
        XCTAssertEqual(text.value("tower_queue_lag_seconds"), 1.25)
        XCTAssertEqual(text.value("tower_batch_seconds_bucket", ["le": "0.005"]), 2, "cumulative: 1 ms and 5 ms")
        XCTAssertEqual(text.value("tower_batch_seconds_bucket", ["le": "0.1"]), 3)
        XCTAssertEqual(text.value("tower_batch_seconds_bucket", ["le": "+Inf"]), 4)
        XCTAssertEqual(text.value("tower_batch_seconds_count"), 4)
        XCTAssertEqual(try XCTUnwrap(text.value("tower_batch_seconds_sum")), 3.026, accuracy: 1e-9)
        XCTAssertTrue(metrics.exposition().contains("tower_events_rejected_total{reason=\"unknown_event_type\"} 2\n"), "integer counters stay integers")
    }

    func testEachOwnerHasItsOwnRegistry() {
        let a = PrometheusMetrics(), b = PrometheusMetrics()
        Counter(label: "c_total", factory: a.factory).increment()
        XCTAssertEqual(PrometheusText(a.exposition()).value("c_total"), 1)
        XCTAssertNil(PrometheusText(b.exposition()).value("c_total"))
    }

    func testConcurrentUpdatesAreNotLost() {
        let metrics = PrometheusMetrics()
        let counters = ["0", "1"].map { Counter(label: "c_total", dimensions: [("k", $0)], factory: metrics.factory) }
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for _ in 0..<1000 { counters[i % 2].increment() }
            _ = metrics.exposition()
        }
        let text = PrometheusText(metrics.exposition())
        XCTAssertEqual((text.value("c_total", ["k": "0"]) ?? 0) + (text.value("c_total", ["k": "1"]) ?? 0), 8000)
    }
}
