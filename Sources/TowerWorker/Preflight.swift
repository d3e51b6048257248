import Foundation
import LibPQ
import TowerConfig
import TowerJSON
import TowerQueue
import TowerStore

/// A configuration that works against the queue's own settings.
public enum PreflightError: Error, CustomStringConvertible, Equatable {
    /// SQS would redrive an event before Tower gives up on its product and dead-letters it with the reason.
    case retryBudgetExceedsRedrive(productRetryReceives: Int, maxReceiveCount: Int)
    /// The database does not take writes now: towerd would hold its batches and retry until it does.
    case databaseNotWritable(DatabaseProblem, error: String)

    public var description: String {
        switch self {
        case .databaseNotWritable(let problem, let error):
            return "\(problem.explanation) — towerd would hold its batches and retry until it takes writes again (\(error))"
        case .retryBudgetExceedsRedrive(let retries, let max):
            return "TOWER_PRODUCT_RETRY_RECEIVES is \(retries) but the queue's redrive policy moves a message to its DLQ after \(max) receives, without Tower's reason: set TOWER_PRODUCT_RETRY_RECEIVES below \(max) (at most \(max - 1); a few receives of margin cover outages) or raise maxReceiveCount"
        }
    }
}

/// The checks `towerd --check` runs and the daemon runs at start: database and schema, queues, model.
public struct Preflight {
    public let configuration: DaemonConfiguration

    public init(configuration: DaemonConfiguration) { self.configuration = configuration }

    /// Connects (retrying per `retry`) and requires the schema version this build knows; with `requireWrites`
    /// (`towerd --check`) also that the database takes writes now. The daemon starts without that: it rides
    /// out a read-only or locked database, reporting it. Returns a one-line account.
    public func database(retry: LibPQ.RetryPolicy = .none, requireWrites: Bool = false) throws -> String {
        let connection = try PQConnection(url: configuration.databaseURL, timeouts: configuration.databaseTimeouts, retry: retry)
        try Migrator(connection).requireCurrent()
        guard requireWrites else { return "PostgreSQL reachable, schema at version \(Migrations.latestVersion)" }
        try Self.probeWrites(connection)
        return "PostgreSQL reachable and takes writes, schema at version \(Migrations.latestVersion)"
    }

    /// Takes the locks a batch's writes take, in a transaction that changes nothing, within 2 s: fails when the
    /// database is read-only or another session holds a conflicting lock on the tables.
    /// - Throws: `PreflightError.databaseNotWritable` naming the problem.
    static func probeWrites(_ connection: PQConnection) throws {
        do {
            try connection.transaction {
                try connection.query("SELECT set_config('lock_timeout', $1, true)", ["2000"])
                // An update of no row: refused (25006) by a read-only session or a replica.
                try connection.execute("UPDATE processed_messages SET processed_at = processed_at WHERE false")
                try connection.execute("LOCK TABLE events, interactions, user_vectors, producer_event_ids IN ROW EXCLUSIVE MODE")
            }
        } catch let error as PQError {
            guard let problem = DatabaseProblem(error) else { throw error }
            throw PreflightError.databaseNotWritable(problem, error: "\(error)")
        }
    }

    /// Which provider supplied the queue credentials and when they expire (never a secret).
    public func credentials() -> String { "\(configuration.sqs.credentials)" }

    /// Requires the queue (and the DLQ, when configured) to exist with working credentials. Returns one line
    /// per queue, and whether rejected messages have somewhere to go (a DLQ or the queue's redrive policy).
    /// - Throws: `PreflightError.retryBudgetExceedsRedrive` when the redrive policy's `maxReceiveCount` is not
    ///   above TOWER_PRODUCT_RETRY_RECEIVES; `SQSError` when a queue is unusable.
    public func queues() throws -> (lines: [String], rejectedMessagesHandled: Bool) {
        let client = try SQSClient(configuration: configuration.sqs)
        let attributes = try client.getQueueAttributes(queueURL: configuration.queueURL,
                                                       names: ["ApproximateNumberOfMessages", "VisibilityTimeout", "RedrivePolicy"])
        var lines = ["queue \(configuration.queueURL) reachable (\(attributes["ApproximateNumberOfMessages"] ?? "?") messages waiting)"]
        if let max = attributes["RedrivePolicy"].flatMap(Self.maxReceiveCount) {
            guard configuration.productRetryReceives < max else {
                throw PreflightError.retryBudgetExceedsRedrive(productRetryReceives: configuration.productRetryReceives, maxReceiveCount: max)
            }
            lines.append("retry budget: products without a vector are dead-lettered at receive \(configuration.productRetryReceives), before the redrive policy's \(max)")
        }
        if let dlq = configuration.deadLetterQueueURL {
            _ = try client.getQueueAttributes(queueURL: dlq, names: ["ApproximateNumberOfMessages"])
            lines.append("dead-letter queue \(dlq) reachable")
            return (lines, true)
        }
        if let redrive = attributes["RedrivePolicy"] {
            lines.append("no TOWER_DLQ_URL: rejected messages are left to the queue's redrive policy \(redrive)")
            return (lines, true)
        }
        lines.append("no TOWER_DLQ_URL and the queue has no redrive policy: rejected messages are redelivered until they expire; set TOWER_DLQ_URL or a redrive policy")
        return (lines, false)
    }

    /// `maxReceiveCount` of a RedrivePolicy (AWS writes it as a number or a string); nil when absent or unreadable.
    static func maxReceiveCount(_ policy: String) -> Int? {
        switch try? JSONValue.parse(Array(policy.utf8))["maxReceiveCount"] {
        case .number(let n)?, .string(let n)?: return Int(n)
        default: return nil
        }
    }

    /// Loads the model the daemon would run.
    public func model() throws -> ModelHolder {
        do {
            return try ModelHolder(path: configuration.settings.modelPath, eventTypes: configuration.settings.eventTypes)
        } catch {
            throw DaemonError.model(path: configuration.settings.modelPath, underlying: error)
        }
    }
}
