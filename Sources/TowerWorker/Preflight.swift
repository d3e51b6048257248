import Foundation
import Postgres
import TowerQueue
import TowerStore

/// The checks `towerd --check` runs and the daemon runs at start: database and schema, queues, model.
public struct Preflight {
    public let configuration: DaemonConfiguration

    public init(configuration: DaemonConfiguration) { self.configuration = configuration }

    /// Connects (retrying per `retry`) and requires the schema version this build knows.
    /// Returns a one-line account.
    public func database(retry: Postgres.RetryPolicy = .none) throws -> String {
        let connection = try PostgresConnection(url: configuration.databaseURL, retry: retry)
        try Migrator(connection).requireCurrent()
        return "PostgreSQL reachable, schema at version \(Migrations.latestVersion)"
    }

    /// Which provider supplied the queue credentials and when they expire (never a secret).
    public func credentials() -> String { "\(configuration.sqs.credentials)" }

    /// Requires the queue (and the DLQ, when configured) to exist with working credentials. Returns one line
    /// per queue, and whether rejected messages have somewhere to go (a DLQ or the queue's redrive policy).
    public func queues() throws -> (lines: [String], rejectedMessagesHandled: Bool) {
        let client = try SQSClient(configuration: configuration.sqs)
        let attributes = try client.getQueueAttributes(queueURL: configuration.queueURL,
                                                       names: ["ApproximateNumberOfMessages", "VisibilityTimeout", "RedrivePolicy"])
        var lines = ["queue \(configuration.queueURL) reachable (\(attributes["ApproximateNumberOfMessages"] ?? "?") messages waiting)"]
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

    /// Loads the model the daemon would run.
    public func model() throws -> ModelHolder {
        do {
            return try ModelHolder(path: configuration.settings.modelPath, eventTypes: configuration.settings.eventTypes)
        } catch {
            throw DaemonError.model(path: configuration.settings.modelPath, underlying: error)
        }
    }
}
