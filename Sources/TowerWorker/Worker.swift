import Foundation
import Logging
import LibPQ
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
    private let health: DatabaseHealth
    private let keeper: VisibilityKeeper
    private let logger: Logger
    /// Waits after failed connections or refused batches: 0.5 s doubling to 30 s, with jitter.
    private let backoff = LibPQ.RetryPolicy(maxAttempts: nil, baseDelay: 0.5, maxDelay: 30)

    init(index: Int, configuration: DaemonConfiguration, model: ModelHolder, metrics: DaemonMetrics, stop: StopSignal,
         heartbeats: Heartbeats, health: DatabaseHealth, keeper: VisibilityKeeper, logger: Logger) throws {
        self.index = index
        self.configuration = configuration
        self.model = model
        self.metrics = metrics
        self.stop = stop
        self.heartbeats = heartbeats
        self.health = health
        self.keeper = keeper
        var logger = logger
        logger[metadataKey: "worker"] = .stringConvertible(index)
        self.logger = logger
        receiver = try Receiver(configuration: configuration, metrics: metrics, stop: stop, logger: logger, keeper: keeper,
                                alive: { [heartbeats, index] in heartbeats.beat(index) })
        queue = try SQSClient.observed(configuration, metrics: metrics, logger: logger)
    }

    /// The loop; returns when the daemon stops and every received batch was processed.
    func run() {
        guard let connection = connect() else { return }
        let pipeline = Pipeline(configuration: configuration, queue: queue, connection: connection, model: model,
                                metrics: metrics, stop: stop, logger: logger, health: health, index: index,
                                alive: { [heartbeats, index] in heartbeats.beat(index) },
                                finishing: { [receiver] in receiver.requestNext() })
        let receiving = Thread { [receiver] in receiver.run() }
        receiving.name = "towerd-receiver-\(index)"
        receiving.start()
        // The keeper holds a batch until its settlement starts; from then on the settlement sets its messages' fate.
        let settlements = HandOff<(Settlement, HeldBatch)>(), settled = DispatchSemaphore(value: 0)
        let settling = Thread { [settler = pipeline.settler, keeper] in
            while let (settlement, batch) = settlements.take() {
                keeper.release(batch)
                settler.settle(settlement)
            }
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
                settlements.put((try pipeline.apply(batch), batch))
                batchFailures = 0
            } catch PipelineError.stoppedWhileDatabaseUnavailable {
                keeper.release(batch)
                logger.warning("\(PipelineError.stoppedWhileDatabaseUnavailable)", metadata: ["messages": .stringConvertible(batch.messages.count)])
            } catch {
                keeper.release(batch)
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
    private func connect() -> PQConnection? {
        var failures = 0
        while !stop.isStopping {
            heartbeats.beat(index)
            do {
                let connection = try PQConnection(url: configuration.databaseURL, timeouts: configuration.databaseTimeouts)
                health.succeeded(worker: index, committed: false)
                return connection
            } catch {
                failures += 1
                metrics.countDatabaseError()
                let wait = backoff.delay(forAttempt: failures - 1)
                if let error = error as? PQError, let problem = DatabaseProblem(error) {
                    health.failed(worker: index, problem, error: error)
                } else {
                    logger.error("cannot connect to PostgreSQL; retrying", metadata: ["error": "\(error)"])
                }
                logger.debug("connecting failed; retrying", metadata: ["error": "\(error)", "retry_in_ms": .stringConvertible(Int(wait * 1000))])
                stop.wait(seconds: wait)
            }
        }
        return nil
    }
}
