import Foundation
import Logging
import Postgres
import TowerQueue

/// One worker thread: its own queue client and PostgreSQL connection, looping
/// long-poll receive → `Pipeline.process` until the daemon stops.
final class Worker: @unchecked Sendable {
    let index: Int
    /// The worker's queue client; `interruptReceive()` on it cuts a long poll short at shutdown.
    let queue: SQSClient
    private let configuration: DaemonConfiguration
    private let model: ModelHolder
    private let metrics: DaemonMetrics
    private let stop: StopSignal
    private let heartbeats: Heartbeats
    private let logger: Logger
    /// Waits after failed receives or refused batches: 0.5 s doubling to 30 s, with jitter.
    private let backoff = Postgres.RetryPolicy(maxAttempts: nil, baseDelay: 0.5, maxDelay: 30)

    init(index: Int, configuration: DaemonConfiguration, model: ModelHolder, metrics: DaemonMetrics, stop: StopSignal,
         heartbeats: Heartbeats, logger: Logger) throws {
        self.index = index
        self.configuration = configuration
        self.model = model
        self.metrics = metrics
        self.stop = stop
        self.heartbeats = heartbeats
        var logger = logger
        logger[metadataKey: "worker"] = .stringConvertible(index)
        self.logger = logger
        queue = try SQSClient(configuration: configuration.sqs)
        queue.retryObserver = { [logger] retry in
            metrics.countQueueError()
            logger.warning("queue request failed, retrying", metadata: [
                "action": "\(retry.action)", "attempt": .stringConvertible(retry.attempt),
                "retry_in_ms": .stringConvertible(Int(retry.delay * 1000)), "error": "\(retry.error)",
            ])
        }
    }

    /// The loop; returns when the daemon stops.
    func run() {
        guard let connection = connect() else { return }
        let pipeline = Pipeline(configuration: configuration, queue: queue, connection: connection, model: model,
                                metrics: metrics, stop: stop, logger: logger, alive: { [heartbeats, index] in heartbeats.beat(index) })
        var queueFailures = 0, batchFailures = 0
        while !stop.isStopping {
            heartbeats.beat(index)
            let messages: [SQSMessage]
            do {
                messages = try queue.receiveMessages(queueURL: configuration.queueURL, waitTimeSeconds: configuration.receiveWaitSeconds,
                                                     visibilityTimeout: configuration.visibilityTimeoutSeconds)
                queueFailures = 0
            } catch SQSError.interrupted {
                break
            } catch {
                queueFailures += 1
                metrics.countQueueError()
                let wait = backoff.delay(forAttempt: queueFailures - 1)
                logger.error("cannot receive from the queue; backing off", metadata: [
                    "error": "\(error)", "failures": .stringConvertible(queueFailures), "retry_in_ms": .stringConvertible(Int(wait * 1000)),
                ])
                stop.wait(seconds: wait)
                continue
            }
            guard !messages.isEmpty else { continue }
            let received = ContinuousClock.now
            heartbeats.beat(index)
            do {
                try pipeline.process(messages, receivedAt: received)
                batchFailures = 0
            } catch PipelineError.stoppedWhileDatabaseUnavailable {
                logger.warning("\(PipelineError.stoppedWhileDatabaseUnavailable)", metadata: ["messages": .stringConvertible(messages.count)])
            } catch {
                batchFailures += 1
                let wait = backoff.delay(forAttempt: batchFailures - 1)
                logger.error("batch left on the queue", metadata: [
                    "error": "\(error)", "messages": .stringConvertible(messages.count), "retry_in_ms": .stringConvertible(Int(wait * 1000)),
                ])
                stop.wait(seconds: wait)
            }
        }
    }

    /// Connects to PostgreSQL, retrying with backoff until it works or the daemon stops.
    private func connect() -> PostgresConnection? {
        var failures = 0
        while !stop.isStopping {
            heartbeats.beat(index)
            do {
                return try PostgresConnection(url: configuration.databaseURL)
            } catch {
                failures += 1
                metrics.countDatabaseError()
                let wait = backoff.delay(forAttempt: failures - 1)
                logger.error("cannot connect to PostgreSQL; retrying", metadata: [
                    "error": "\(error)", "retry_in_ms": .stringConvertible(Int(wait * 1000)),
                ])
                stop.wait(seconds: wait)
            }
        }
        return nil
    }
}
