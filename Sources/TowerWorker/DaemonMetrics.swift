import Foundation

/// The daemon's Prometheus metrics (served by `MetricsHTTPServer` at `GET /metrics`).
///
/// | metric | type | meaning |
/// | --- | --- | --- |
/// | `tower_events_applied_total` | counter | events recorded and folded into the user's vector |
/// | `tower_events_duplicate_total` | counter | redelivered messages skipped (already applied) |
/// | `tower_events_deferred_total` | counter | events postponed because their product has no vector yet |
/// | `tower_events_rejected_total{reason}` | counter | dead-lettered messages by `RejectionReason.code` |
/// | `tower_queue_lag_seconds` | histogram | now − SentTimestamp of each received message |
/// | `tower_batch_duration_seconds` | histogram | receive → commit per batch |
/// | `tower_delete_failures_total` | counter | DeleteMessageBatch entries that failed (redelivered, then skipped) |
/// | `tower_database_errors_total` | counter | failed database attempts (connects, statements, transactions) |
/// | `tower_queue_errors_total` | counter | failed queue requests, retried ones included |
/// | `tower_model_info{version}` | gauge | 1 for the model version in use |
/// | `tower_database_up` | gauge | 1 while PostgreSQL takes the daemon's writes, 0 during an outage |
/// | `tower_database_problem{reason}` | gauge | 1 for the outage's `DatabaseProblem` (all 0 while up) |
/// | `tower_seconds_since_last_commit` | gauge | since the last committed batch (since start before the first) |
/// | `tower_messages_in_hand` | gauge | received messages not yet settled (held, applied or deleted) |
/// | `tower_visibility_extensions_total` | counter | messages whose visibility was extended while their batch ran long |
public final class DaemonMetrics: Sendable {
    public let registry: MetricsRegistry
    private let applied: Counter
    private let duplicates: Counter
    private let deferred: Counter
    private let rejected: Counter
    private let queueLag: Histogram
    private let batchDuration: Histogram
    private let deleteFailures: Counter
    private let databaseErrors: Counter
    private let queueErrors: Counter
    private let internalErrors: Counter
    private let model: Gauge
    private let databaseUp: Gauge
    private let databaseProblem: Gauge
    private let lastCommit: Gauge
    private let inHand: Gauge
    private let extensions: Counter

    /// Queue lag buckets: 10 ms … 1 h.
    static let lagBuckets: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]

    public init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        applied = registry.counter("tower_events_applied_total", help: "Events recorded and folded into the user's vector.")
        duplicates = registry.counter("tower_events_duplicate_total", help: "Redelivered messages and producer retries (a repeated event_id) skipped because they were already applied.")
        deferred = registry.counter("tower_events_deferred_total", help: "Events postponed because their product has no vector yet.")
        rejected = registry.counter("tower_events_rejected_total", help: "Messages dead-lettered, by reason.", labels: ["reason"])
        queueLag = registry.histogram("tower_queue_lag_seconds", help: "Time from SentTimestamp to receive, per message.",
                                      buckets: Self.lagBuckets)
        batchDuration = registry.histogram("tower_batch_duration_seconds", help: "Receive to commit, per batch.",
                                           buckets: Histogram.latencyBuckets)
        deleteFailures = registry.counter("tower_delete_failures_total", help: "DeleteMessageBatch entries that failed.")
        databaseErrors = registry.counter("tower_database_errors_total", help: "Failed PostgreSQL attempts.")
        queueErrors = registry.counter("tower_queue_errors_total", help: "Failed queue requests (retried ones included).")
        internalErrors = registry.counter("tower_internal_errors_total",
                                          help: "Batches left on the queue for Tower's own fault (unfit model output); alert on any.")
        model = registry.gauge("tower_model_info", help: "1 for the user tower version in use.", labels: ["version"])
        databaseUp = registry.gauge("tower_database_up", help: "1 while PostgreSQL takes the daemon's writes, 0 during an outage.")
        databaseProblem = registry.gauge("tower_database_problem", help: "1 for the reason of the current database outage.",
                                         labels: ["reason"])
        lastCommit = registry.gauge("tower_seconds_since_last_commit", help: "Seconds since the last committed batch.")
        inHand = registry.gauge("tower_messages_in_hand", help: "Received messages not yet settled.")
        extensions = registry.counter("tower_visibility_extensions_total",
                                      help: "Messages whose visibility timeout was extended while their batch ran long.")
        for reason in RejectionReason.allCodes { rejected.inc(by: 0, labels: [reason]) }
        for counter in [applied, duplicates, deferred, deleteFailures, databaseErrors, queueErrors, internalErrors, extensions] {
            counter.inc(by: 0)
        }
        inHand.set(0)
    }

    func observeQueueLag(seconds: Double) { queueLag.observe(max(0, seconds)) }
    func observeBatch(seconds: Double) { batchDuration.observe(seconds) }
    func countOutcomes(applied a: Int, duplicates d: Int, deferred p: Int) {
        applied.inc(by: Double(a))
        duplicates.inc(by: Double(d))
        deferred.inc(by: Double(p))
    }
    func countRejected(reason: String) { rejected.inc(labels: [reason]) }
    func countDeleteFailures(_ n: Int) { if n > 0 { deleteFailures.inc(by: Double(n)) } }
    func countDatabaseError() { databaseErrors.inc() }
    func countQueueError() { queueErrors.inc() }
    func countInternalError() { internalErrors.inc() }

    func databaseState(up: Bool, problem: DatabaseProblem? = nil) {
        databaseUp.set(up ? 1 : 0)
        for p in DatabaseProblem.allCases { databaseProblem.set(p == problem ? 1 : 0, labels: [p.rawValue]) }
    }
    func lastCommitAge(seconds: Double) { lastCommit.set((seconds * 1000).rounded() / 1000) }
    func messagesInHand(_ n: Int) { inHand.set(Double(n)) }
    func countExtensions(_ n: Int) { extensions.inc(by: Double(n)) }

    /// Marks `version` as the model in use (and any previous one as not).
    func modelLoaded(version: String, previous: String?) {
        if let previous, previous != version { model.set(0, labels: [previous]) }
        model.set(1, labels: [version])
    }

    /// Totals for the shutdown log line.
    var totals: (applied: Int, duplicates: Int, rejected: Int) {
        (Int(applied.value()), Int(duplicates.value()), RejectionReason.allCodes.reduce(0) { $0 + Int(rejected.value(labels: [$1])) })
    }
}
