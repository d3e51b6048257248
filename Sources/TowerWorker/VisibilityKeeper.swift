import Foundation
import Logging
import Synchronization
import TowerQueue

/// A received batch while towerd holds it (from the receive until its settlement starts): its messages and
/// until when the queue keeps them hidden from other consumers.
public final class HeldBatch: Sendable {
    public let messages: [SQSMessage]
    /// When the receive returned (the start of the batch's latency).
    public let receivedAt: ContinuousClock.Instant
    private let hiddenUntil: Mutex<ContinuousClock.Instant>

    init(messages: [SQSMessage], receivedAt: ContinuousClock.Instant, visibilitySeconds: Int) {
        self.messages = messages
        self.receivedAt = receivedAt
        hiddenUntil = Mutex(receivedAt + .seconds(visibilitySeconds))
    }

    /// True while the queue still hides the messages (a worker may go on retrying them).
    public var isHidden: Bool { hiddenUntil.withLock { ContinuousClock.now < $0 } }

    /// Seconds left until the messages become visible again.
    var secondsHidden: Double { -milliseconds(since: hiddenUntil.withLock { $0 }) / 1000 }

    func hidden(until instant: ContinuousClock.Instant) { hiddenUntil.withLock { $0 = instant } }
}

/// Keeps the batches the daemon holds hidden while they run long (a slow transaction, a database outage the
/// worker rides out): when half of a batch's visibility timeout is left, one ChangeMessageVisibilityBatch hides
/// it for TOWER_VISIBILITY_TIMEOUT again. So no other consumer receives it meanwhile, and its receive count —
/// which a redrive policy counts against `maxReceiveCount` — does not grow while towerd waits. On its own
/// thread and queue client; a crashed daemon stops extending, and its batches reappear within one timeout.
final class VisibilityKeeper: Sendable {
    private let configuration: DaemonConfiguration
    /// The keeper's queue client until `run` takes it to the keeper's thread.
    private let client: Mutex<SQSClient?>
    private let metrics: DaemonMetrics
    private let stop: StopSignal
    private let logger: Logger
    private let held = Mutex<[ObjectIdentifier: HeldBatch]>([:])

    init(configuration: DaemonConfiguration, metrics: DaemonMetrics, stop: StopSignal, logger: Logger) throws {
        self.configuration = configuration
        self.metrics = metrics
        self.stop = stop
        self.logger = logger
        client = Mutex(try SQSClient.observed(configuration, metrics: metrics, logger: logger))
    }

    /// Starts holding a just-received batch.
    func hold(_ messages: [SQSMessage], receivedAt: ContinuousClock.Instant) -> HeldBatch {
        let batch = HeldBatch(messages: messages, receivedAt: receivedAt, visibilitySeconds: configuration.visibilityTimeoutSeconds)
        update { $0[ObjectIdentifier(batch)] = batch }
        return batch
    }

    /// Stops extending `batch`: its settlement (deletes, postponements) or the visibility timeout decide now.
    func release(_ batch: HeldBatch) { update { $0[ObjectIdentifier(batch)] = nil } }

    /// Seconds the longest-held batch has been held; 0 when none is.
    var longestHeldSeconds: Double {
        held.withLock { $0.values.map { milliseconds(since: $0.receivedAt) / 1000 }.max() ?? 0 }
    }

    /// Messages held now.
    var messagesHeld: Int { held.withLock { Self.messages(in: $0) } }

    /// Extends the batches that need it, about once a second, until the daemon stops.
    func run() {
        guard let queue = client.withLock({ $0.take() }) else { preconditionFailure("VisibilityKeeper.run() runs once") }
        let visibility = configuration.visibilityTimeoutSeconds
        repeat {
            let due = held.withLock { $0.values.filter { $0.secondsHidden <= Double(visibility) / 2 } }
            for batch in due { extend(batch, by: visibility, on: queue) }
        } while !stop.wait(seconds: 1)
    }

    private func extend(_ batch: HeldBatch, by visibility: Int, on queue: SQSClient) {
        let entries = batch.messages.enumerated().map {
            SQSVisibilityEntry(id: "m\($0.offset)", receiptHandle: $0.element.receiptHandle, visibilityTimeout: visibility)
        }
        let sent = ContinuousClock.now
        do {
            let failures = try queue.changeMessageVisibilityBatch(queueURL: configuration.queueURL, entries: entries)
            // A failed entry is usually a message settled meanwhile (or past SQS's 12 hours); the others are hidden again.
            if failures.count < entries.count { batch.hidden(until: sent + .seconds(visibility)) }
            metrics.countExtensions(entries.count - failures.count)
            logger.debug("batch runs long; its visibility was extended", metadata: [
                "messages": .stringConvertible(entries.count), "held_s": .stringConvertible(Int(milliseconds(since: batch.receivedAt) / 1000)),
                "visibility_s": .stringConvertible(visibility), "failures": "\(failures)",
            ])
        } catch {
            metrics.countQueueError()
            logger.warning("cannot extend a long-running batch's visibility; it may be received again meanwhile (it is applied once)",
                           metadata: ["error": "\(error)", "messages": .stringConvertible(entries.count)])
        }
    }

    private func update(_ change: (inout [ObjectIdentifier: HeldBatch]) -> Void) {
        let count = held.withLock { batches in
            change(&batches)
            return Self.messages(in: batches)
        }
        metrics.messagesInHand(count)
    }

    private static func messages(in batches: [ObjectIdentifier: HeldBatch]) -> Int { batches.values.reduce(0) { $0 + $1.messages.count } }
}
