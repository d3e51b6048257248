import Foundation
import Logging
import LibPQ
import TowerQueue

/// A worker's receive side, on its own thread and queue client. The worker asks for its next batch when
/// the current one reaches its last database round trip (`requestNext()`), so the receive's round trip
/// overlaps the commit instead of following it, and the received batch barely waits: the worker's
/// throughput rises without adding queueing latency. With the settler, a worker has at most three
/// batches in flight (one being received, one applied, one settled).
final class Receiver: @unchecked Sendable {
    /// The receiver's queue client.
    let queue: SQSClient
    private let configuration: DaemonConfiguration
    private let metrics: DaemonMetrics
    private let stop: StopSignal
    private let alive: () -> Void
    private let logger: Logger
    /// Holds each received batch from the receive on (extending its visibility while it runs long).
    private let keeper: VisibilityKeeper
    /// Waits after failed receives: 0.5 s doubling to 30 s, with jitter.
    private let backoff = LibPQ.RetryPolicy(maxAttempts: nil, baseDelay: 0.5, maxDelay: 30)

    private let batches = HandOff<HeldBatch>()
    // `wanted` is only touched under `condition`.
    private let condition = NSCondition()
    /// The worker wants another batch (set at start and by `requestNext()`, cleared when a receive starts).
    private var wanted = true

    init(configuration: DaemonConfiguration, metrics: DaemonMetrics, stop: StopSignal, logger: Logger, keeper: VisibilityKeeper,
         alive: @escaping () -> Void) throws {
        self.configuration = configuration
        self.keeper = keeper
        self.metrics = metrics
        self.stop = stop
        self.logger = logger
        self.alive = alive
        queue = try SQSClient.observed(configuration, metrics: metrics, logger: logger)
    }

    /// The receive loop, until the daemon stops; then closes the hand-off.
    func run() {
        defer { batches.close() }
        var failures = 0
        // After a failure no retry can fix (refused or expired credentials that cannot be refreshed), the receiver
        // stops showing signs of life: the watchdog pings stop and systemd restarts the daemon.
        var hopeless = false
        while awaitRequest() {
            if !hopeless { alive() }
            do {
                let messages = try queue.receiveMessages(queueURL: configuration.queueURL, waitTimeSeconds: configuration.receiveWaitSeconds,
                                                         visibilityTimeout: configuration.visibilityTimeoutSeconds)
                failures = 0
                hopeless = false
                // A batch received during shutdown is still handed over: the worker finishes it before it stops.
                if messages.isEmpty { requestNext() } else { batches.put(keeper.hold(messages, receivedAt: .now)) }
            } catch SQSError.interrupted {
                return
            } catch {
                failures += 1
                hopeless = (error as? SQSError)?.isConfigurationError ?? (error is CredentialError)
                metrics.countQueueError()
                let wait = backoff.delay(forAttempt: failures - 1)
                logger.error("cannot receive from the queue; backing off", metadata: [
                    "error": "\(error)", "failures": .stringConvertible(failures), "retry_in_ms": .stringConvertible(Int(wait * 1000)),
                    "watchdog": "\(hopeless ? "stopped (systemd restarts towerd)" : "running")",
                ])
                stop.wait(seconds: wait)
                requestNext()
            }
        }
    }

    /// At shutdown (after `StopSignal.requestStop()`): cuts a long poll short and wakes the receive loop.
    func interrupt() {
        queue.interruptReceive()
        condition.withLock { condition.broadcast() }
    }

    /// Asks for the next batch; repeated calls before it is received ask once.
    func requestNext() {
        condition.withLock { wanted = true; condition.broadcast() }
    }

    /// Waits until the worker wants a batch; false once the daemon stops.
    private func awaitRequest() -> Bool {
        condition.withLock {
            while !wanted && !stop.isStopping { condition.wait() }
            wanted = false
            return !stop.isStopping
        }
    }

    /// The next received batch, waiting for one; nil once the receiver has stopped and nothing waits.
    func next() -> HeldBatch? { batches.take() }
}

extension SQSClient {
    /// A queue client for one of a worker's threads; each retry is counted and logged.
    static func observed(_ configuration: DaemonConfiguration, metrics: DaemonMetrics, logger: Logger) throws -> SQSClient {
        let client = try SQSClient(configuration: configuration.sqs)
        client.retryObserver = { [logger] retry in
            metrics.countQueueError()
            logger.warning("queue request failed, retrying", metadata: [
                "action": "\(retry.action)", "attempt": .stringConvertible(retry.attempt),
                "retry_in_ms": .stringConvertible(Int(retry.delay * 1000)), "error": "\(retry.error)",
            ])
        }
        return client
    }
}
