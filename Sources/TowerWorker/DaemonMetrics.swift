import Metrics
import Synchronization
import TowerRuntime

/// The daemon's Prometheus metrics (served by `MetricsServer` at `GET /metrics`), through swift-metrics.
///
/// | metric | type | meaning |
/// | --- | --- | --- |
/// | `tower_events_applied_total` | counter | events recorded and folded into the user's vector |
/// | `tower_events_duplicate_total` | counter | redelivered messages and producer retries (a repeated event_id) skipped |
/// | `tower_events_deferred_total` | counter | events postponed because their product has no vector yet |
/// | `tower_events_rejected_total{reason}` | counter | dead-lettered messages by `RejectionReason.code` |
/// | `tower_queue_lag_seconds` | histogram | now − SentTimestamp of each received message |
/// | `tower_batch_duration_seconds` | histogram | receive → commit per batch |
/// | `tower_delete_failures_total` | counter | DeleteMessageBatch entries that failed (redelivered, then skipped) |
/// | `tower_database_errors_total` | counter | failed database attempts (connects, statements, transactions) |
/// | `tower_queue_errors_total` | counter | failed queue requests, retried ones included |
/// | `tower_internal_errors_total` | counter | batches left on the queue for Tower's own fault (unfit model output) |
/// | `tower_model_info{version}` | gauge | 1 for the model version in use |
/// | `tower_database_up` | gauge | 1 while PostgreSQL takes the daemon's writes, 0 during an outage |
/// | `tower_database_problem{reason}` | gauge | 1 for the outage's `DatabaseProblem` (all 0 while up) |
/// | `tower_seconds_since_last_commit` | gauge | since the last committed batch (since start before the first) |
/// | `tower_messages_in_hand` | gauge | received messages not yet settled (held, applied or deleted) |
/// | `tower_visibility_extensions_total` | counter | messages whose visibility was extended while their batch ran long |
public final class DaemonMetrics: Sendable {
    public let prometheus: PrometheusMetrics
    private let applied: Counter
    private let duplicates: Counter
    private let deferred: Counter
    private let rejected: [String: Counter]
    private let queueLag: Metrics.Timer
    private let batchDuration: Metrics.Timer
    private let deleteFailures: Counter
    private let databaseErrors: Counter
    private let queueErrors: Counter
    private let internalErrors: Counter
    private let databaseUp: Gauge
    private let databaseProblem: [DatabaseProblem: Gauge]
    private let lastCommit: Gauge
    private let inHand: Gauge
    private let extensions: Counter
    /// Applied, duplicates and rejected so far, for the shutdown log line.
    private let tallies = Mutex((applied: 0, duplicates: 0, rejected: 0))

    /// Queue lag buckets: 10 ms … 1 h.
    static let lagBuckets: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]

    public init() {
        let prometheus = PrometheusMetrics(timerBuckets: [
            "tower_queue_lag_seconds": Self.lagBuckets, "tower_batch_duration_seconds": PrometheusMetrics.latencyBuckets,
        ])
        let factory = prometheus.factory
        func counter(_ name: String) -> Counter { Counter(label: name, factory: factory) }
        func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Gauge { Gauge(label: name, dimensions: dimensions, factory: factory) }
        self.prometheus = prometheus
        applied = counter("tower_events_applied_total")
        duplicates = counter("tower_events_duplicate_total")
        deferred = counter("tower_events_deferred_total")
        rejected = Dictionary(uniqueKeysWithValues: RejectionReason.allCodes.map {
            ($0, Counter(label: "tower_events_rejected_total", dimensions: [("reason", $0)], factory: factory))
        })
        queueLag = Metrics.Timer(label: "tower_queue_lag_seconds", factory: factory)
        batchDuration = Metrics.Timer(label: "tower_batch_duration_seconds", factory: factory)
        deleteFailures = counter("tower_delete_failures_total")
        databaseErrors = counter("tower_database_errors_total")
        queueErrors = counter("tower_queue_errors_total")
        internalErrors = counter("tower_internal_errors_total")
        databaseUp = gauge("tower_database_up")
        databaseProblem = Dictionary(uniqueKeysWithValues: DatabaseProblem.allCases.map {
            ($0, gauge("tower_database_problem", [("reason", $0.rawValue)]))
        })
        lastCommit = gauge("tower_seconds_since_last_commit")
        inHand = gauge("tower_messages_in_hand")
        extensions = counter("tower_visibility_extensions_total")
        inHand.record(0)
    }

    func observeQueueLag(seconds: Double) { queueLag.recordSeconds(max(0, seconds)) }
    func observeBatch(seconds: Double) { batchDuration.recordSeconds(seconds) }
    func countOutcomes(applied a: Int, duplicates d: Int, deferred p: Int) {
        applied.increment(by: a)
        duplicates.increment(by: d)
        deferred.increment(by: p)
        tallies.withLock { $0.applied += a; $0.duplicates += d }
    }
    func countRejected(reason: String) {
        (rejected[reason] ?? Counter(label: "tower_events_rejected_total", dimensions: [("reason", reason)], factory: prometheus.factory)).increment()
        tallies.withLock { $0.rejected += 1 }
    }
    func countDeleteFailures(_ n: Int) { deleteFailures.increment(by: n) }
    func countDatabaseError() { databaseErrors.increment() }
    func countQueueError() { queueErrors.increment() }
    func countInternalError() { internalErrors.increment() }

    func databaseState(up: Bool, problem: DatabaseProblem? = nil) {
        databaseUp.record(up ? 1 : 0)
        for (reason, gauge) in databaseProblem { gauge.record(reason == problem ? 1 : 0) }
    }
    func lastCommitAge(seconds: Double) { lastCommit.record((seconds * 1000).rounded() / 1000) }
    func messagesInHand(_ n: Int) { inHand.record(n) }
    func countExtensions(_ n: Int) { extensions.increment(by: n) }

    /// Marks `version` as the model in use (and any previous one as not).
    func modelLoaded(version: String, previous: String?) {
        if let previous, previous != version { modelInfo(previous).record(0) }
        modelInfo(version).record(1)
    }

    private func modelInfo(_ version: String) -> Gauge {
        Gauge(label: "tower_model_info", dimensions: [("version", version)], factory: prometheus.factory)
    }

    /// Totals for the shutdown log line.
    var totals: (applied: Int, duplicates: Int, rejected: Int) { tallies.withLock { $0 } }
}
