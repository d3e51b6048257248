import Foundation
import Logging
import Postgres
import TowerQueue

/// One worker, three threads in a row: a `Receiver` long-polls the next batch, the worker thread applies
/// batches on its PostgreSQL connection (decode → transaction → commit), and a settling thread does each
/// committed batch's queue side (`Settler`: dead letters, deletes) with its own queue client. So a
/// worker's batch cycle is its transaction alone; receive → commit latency is unchanged.
final class Worker: @unchecked Sendable {
    let index: Int
    /// The receive side; `receiver.interrupt()` cuts a long poll short at shutdown.
    let receiver: Receiver
    private let queue: SQSClient
    private let configuration: DaemonConfiguration
    private let model: ModelHolder
    private let metrics: DaemonMetrics
    private let stop: StopSignal
    private let heartbeats: Heartbeats
    private let logger: Logger
    /// Waits after failed connections or refused batches: 0.5 s doubling to 30 s, with jitter.
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
        receiver = try Receiver(configuration: configuration, metrics: metrics, stop: stop, logger: logger,
                                alive: { [heartbeats, index] in heartbeats.beat(index) })
        queue = try SQSClient.observed(configuration, metrics: metrics, logger: logger)
    }

    /// The loop; returns when the daemon stops and every received batch was processed.
    func run() {
        guard let connection = connect() else { return }
        let pipeline = Pipeline(configuration: configuration, queue: queue, connection: connection, model: model,
                                metrics: metrics, stop: stop, logger: logger, alive: { [heartbeats, index] in heartbeats.beat(index) },
                                finishing: { [receiver] in receiver.requestNext() })
        let receiving = Thread { [receiver] in receiver.run() }
        receiving.name = "towerd-receiver-\(index)"
        receiving.start()
        let settlements = HandOff<Settlement>(), settled = DispatchSemaphore(value: 0)
        let settling = Thread { [settler = pipeline.settler] in
            while let settlement = settlements.take() { settler.settle(settlement) }
            settled.signal()
        }
        settling.name = "towerd-settler-\(index)"
        settling.start()
        defer {
            settlements.close()
            settled.wait()
        }
        var batchFailures = 0
        while let batch = receiver.next() {
            heartbeats.beat(index)
            do {
                settlements.put(try pipeline.apply(batch.messages, receivedAt: batch.receivedAt))
                batchFailures = 0
            } catch PipelineError.stoppedWhileDatabaseUnavailable {
                logger.warning("\(PipelineError.stoppedWhileDatabaseUnavailable)", metadata: ["messages": .stringConvertible(batch.messages.count)])
            } catch {
                batchFailures += 1
                let wait = backoff.delay(forAttempt: batchFailures - 1)
                logger.error("batch left on the queue", metadata: [
                    "error": "\(error)", "messages": .stringConvertible(batch.messages.count), "retry_in_ms": .stringConvertible(Int(wait * 1000)),
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
