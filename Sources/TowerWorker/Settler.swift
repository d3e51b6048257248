import Foundation
import Logging
import TowerQueue

/// What one batch did: the per-batch summary log line and the tests' view of it.
public struct BatchSummary: Sendable, Equatable {
    public var messages = 0
    /// Recorded and the customers' vectors recomputed.
    public var applied = 0
    /// Already applied earlier (redeliveries), deleted without effect.
    public var duplicates = 0
    /// Dead-lettered (or, without a DLQ, left to the queue's redrive policy).
    public var rejected = 0
    /// Products without a vector yet: left on the queue to be retried later.
    public var deferred = 0
    /// Customers whose vectors were written.
    public var customers = 0
    /// Entries DeleteMessageBatch did not delete (they come back and are skipped as duplicates).
    public var deleteFailures = 0
    /// Receive → the worker starting on the batch (it waits while the worker finishes the previous one).
    public var waitMilliseconds = 0.0
    /// Receive → commit.
    public var commitMilliseconds = 0.0
    /// Of that, running the user tower.
    public var encodeMilliseconds = 0.0
    /// Receive → the delete's answer.
    public var totalMilliseconds = 0.0
}

/// What remains of a batch once its transaction committed: the queue side.
public struct Settlement: Sendable {
    /// The batch's summary so far (the settler adds the delete failures and the total time).
    public var summary: BatchSummary
    public var receivedAt: ContinuousClock.Instant
    /// Applied or duplicate: delete (every receipt of each message).
    public var done: [SQSMessage]
    /// Products without a vector yet: hide for a while, then retry.
    public var deferred: [SQSMessage]
    /// Rejected messages, the reason, and every receipt of the message (deleted once the DLQ has it).
    public var rejected: [Rejection]

    public typealias Rejection = (message: SQSMessage, reason: RejectionReason, receipts: [SQSMessage])
}

/// The queue side of a worker's batches: dead-letters the rejected messages, postpones the deferred ones,
/// deletes what is committed or dead-lettered, and logs the batch line. Uses its own queue client, so it
/// can settle one batch while the worker applies the next.
public final class Settler: @unchecked Sendable {
    // The queue client is used by one settle call at a time (the worker's settling thread, or `Pipeline.process`).
    private let configuration: DaemonConfiguration
    private let queue: SQSClient
    private let metrics: DaemonMetrics
    private let logger: Logger

    init(configuration: DaemonConfiguration, queue: SQSClient, metrics: DaemonMetrics, logger: Logger) {
        self.configuration = configuration
        self.queue = queue
        self.metrics = metrics
        self.logger = logger
    }

    /// Carries out `settlement` and logs the batch's summary line; returns the final summary.
    @discardableResult
    public func settle(_ settlement: Settlement) -> BatchSummary {
        var summary = settlement.summary
        let done = settlement.done + deadLetter(settlement.rejected).flatMap(\.receipts)
        postpone(settlement.deferred)
        summary.deleteFailures = delete(done)
        summary.totalMilliseconds = milliseconds(since: settlement.receivedAt)
        logger.info("batch", metadata: [
            "messages": .stringConvertible(summary.messages), "applied": .stringConvertible(summary.applied),
            "duplicates": .stringConvertible(summary.duplicates), "rejected": .stringConvertible(summary.rejected),
            "deferred": .stringConvertible(summary.deferred), "customers": .stringConvertible(summary.customers),
            "wait_ms": .stringConvertible(rounded(summary.waitMilliseconds)),
            "duration_ms": .stringConvertible(rounded(summary.commitMilliseconds)),
            "encode_ms": .stringConvertible(rounded(summary.encodeMilliseconds)),
            "total_ms": .stringConvertible(rounded(summary.totalMilliseconds)),
        ])
        return summary
    }

    /// Logs each rejection and sends the messages to the DLQ with the reason as attributes. Returns the
    /// rejections that may be deleted: those the DLQ accepted (none without a DLQ).
    private func deadLetter(_ rejected: [Settlement.Rejection]) -> [Settlement.Rejection] {
        guard !rejected.isEmpty else { return [] }
        for (message, reason, _) in rejected {
            metrics.countRejected(reason: reason.code)
            logger.warning("message rejected", metadata: [
                "message_id": "\(message.messageID)", "reason": "\(reason.code)", "detail": "\(reason.description)",
                "receive_count": "\(message.approximateReceiveCount ?? 0)",
                "dead_letter": "\(configuration.deadLetterQueueURL == nil ? "left for the queue's redrive policy" : "sent to TOWER_DLQ_URL")",
            ])
        }
        guard let dlq = configuration.deadLetterQueueURL else { return [] }
        var accepted: [Settlement.Rejection] = []
        for batch in DeadLetterCopy.batches(rejected) {
            do {
                let result = try queue.sendMessageBatch(queueURL: dlq, entries: batch.map(\.entry))
                let ok = Set(result.successful.map(\.id))
                accepted += batch.filter { ok.contains($0.entry.id) }.map(\.rejection)
                for failure in result.failed {
                    logger.error("dead-letter queue refused a message; it stays on the queue", metadata: ["failure": "\(failure)"])
                }
            } catch {
                metrics.countQueueError()
                logger.error("cannot send to the dead-letter queue; the messages stay on the queue", metadata: ["error": "\(error)"])
            }
        }
        return accepted
    }

    /// Hides messages whose product has no vector yet for a growing delay (the catalog's embedding may lag).
    private func postpone(_ messages: [SQSMessage]) {
        guard !messages.isEmpty else { return }
        let entries = messages.enumerated().map { i, m in
            SQSVisibilityEntry(id: "m\(i)", receiptHandle: m.receiptHandle,
                               visibilityTimeout: configuration.productRetryDelay(afterReceive: m.approximateReceiveCount ?? 1))
        }
        for (i, m) in messages.enumerated() {
            logger.info("product has no vector yet; the event is retried later", metadata: [
                "message_id": "\(m.messageID)", "retry_in_s": "\(entries[i].visibilityTimeout)",
                "receive_count": "\(m.approximateReceiveCount ?? 0)", "dead_letter_at_receive": "\(configuration.productRetryReceives)",
            ])
        }
        do {
            for failure in try queue.changeMessageVisibilityBatch(queueURL: configuration.queueURL, entries: entries) {
                logger.warning("cannot postpone a message; it reappears after the visibility timeout", metadata: ["failure": "\(failure)"])
            }
        } catch {
            metrics.countQueueError()
            logger.warning("cannot postpone messages; they reappear after the visibility timeout", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes the messages; returns how many entries failed (they are redelivered and skipped as duplicates).
    private func delete(_ messages: [SQSMessage]) -> Int {
        var failed = 0
        for chunk in messages.chunked(into: SQSClient.maxBatchSize) {
            let entries = chunk.enumerated().map { SQSDeleteEntry(id: "m\($0.offset)", receiptHandle: $0.element.receiptHandle) }
            do {
                let failures = try queue.deleteMessageBatch(queueURL: configuration.queueURL, entries: entries)
                failed += failures.count
                for failure in failures {
                    logger.warning("delete failed; the message will be redelivered and skipped as a duplicate",
                                   metadata: ["failure": "\(failure)"])
                }
            } catch {
                failed += chunk.count
                metrics.countQueueError()
                logger.error("DeleteMessageBatch failed; the messages will be redelivered and skipped as duplicates",
                             metadata: ["error": "\(error)", "messages": "\(chunk.count)"])
            }
        }
        metrics.countDeleteFailures(failed)
        return failed
    }

    /// Milliseconds to the microsecond, for log lines.
    private func rounded(_ ms: Double) -> Double { (ms * 1000).rounded() / 1000 }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
