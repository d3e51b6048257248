import Foundation
import LibPQ
import Logging
import TowerConfig
import TowerModel
import TowerQueue
import TowerStore

/// Milliseconds since `start`.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

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

/// Why a batch was left on the queue without being applied; its messages reappear after the visibility timeout.
public enum PipelineError: Error, CustomStringConvertible {
    /// Shutdown was requested while the database was unavailable.
    case stoppedWhileDatabaseUnavailable
    /// The database stayed unavailable until the queue stopped hiding the batch (its visibility could not be extended).
    case visibilityExpired(seconds: Int)
    /// The database refused the batch for a reason a retry cannot cure (schema, permissions).
    case database(PQError)
    /// Tower's own fault (the model's output, the schema): the events are healthy and are never dead-lettered for it.
    case `internal`(UserVectorWriteError)

    public var description: String {
        switch self {
        case .stoppedWhileDatabaseUnavailable:
            return "stopping while PostgreSQL is unavailable: the batch stays on the queue and is applied after restart"
        case .visibilityExpired(let s):
            return "PostgreSQL stayed unavailable past the batch's visibility timeout (\(s) s, not extended): the batch will be received again"
        case .database(let e):
            return "PostgreSQL refused the batch: \(e)"
        case .internal(let e):
            return "internal error, the batch is retried: \(e)"
        }
    }
}

/// Processes received batches for one worker: decode → apply the good in one transaction
/// (`InteractionRepository`) → `Settler`: dead-letter the bad, delete what is committed or dead-lettered.
///
/// Not thread-safe: one per worker thread, with that worker's queue client and database connection.
public final class Pipeline {
    private let configuration: DaemonConfiguration
    private let decoder: EventDecoder
    private let connection: PQConnection
    private let repository: InteractionRepository
    private let model: ModelHolder
    private let metrics: DaemonMetrics
    private let stop: StopSignal
    private let logger: Logger
    private let health: DatabaseHealth?
    private let index: Int
    /// Called while the database is retried, to show the worker is alive.
    private let alive: () -> Void
    /// Called once per batch `apply` handles: when its histories are read and only the user tower, the commit
    /// and the delete remain, or, for a batch that never gets there (all duplicates or rejected, a failure),
    /// when `apply` returns. The worker's cue to receive its next batch meanwhile.
    private let finishing: () -> Void
    private let databaseRetry = LibPQ.RetryPolicy(maxAttempts: nil, baseDelay: 0.1, maxDelay: 2)
    /// The queue side of every batch; may run on another thread than `apply` (one batch at a time).
    public let settler: Settler

    /// `health` (with this worker's `index`) is told of each failed and successful attempt.
    public init(configuration: DaemonConfiguration, queue: SQSClient, connection: PQConnection, model: ModelHolder,
                metrics: DaemonMetrics, stop: StopSignal, logger: Logger, health: DatabaseHealth? = nil, index: Int = 0,
                alive: @escaping () -> Void = {}, finishing: @escaping () -> Void = {}) {
        self.configuration = configuration
        self.health = health
        self.index = index
        decoder = configuration.decoder
        self.connection = connection
        repository = InteractionRepository(connection)
        self.model = model
        self.metrics = metrics
        self.stop = stop
        self.logger = logger
        self.alive = alive
        self.finishing = finishing
        settler = Settler(configuration: configuration, queue: queue, metrics: metrics, logger: logger)
    }

    /// Processes one received batch on the calling thread: `apply`, then `settler.settle`.
    /// `receivedAt` is when the receive returned (the latency's start).
    /// - Throws: `PipelineError` when the batch was left on the queue.
    @discardableResult
    public func process(_ messages: [SQSMessage], receivedAt: ContinuousClock.Instant = .now) throws -> BatchSummary {
        settler.settle(try apply(messages, receivedAt: receivedAt))
    }

    /// `apply` for a batch the daemon holds: retried for as long as the queue keeps it hidden (the
    /// `VisibilityKeeper` extends that while the worker is alive).
    public func apply(_ batch: HeldBatch) throws -> Settlement {
        try apply(batch.messages, receivedAt: batch.receivedAt, stillHidden: { batch.isHidden })
    }

    /// Decodes a batch and applies it in one transaction: everything up to the commit, on the database
    /// connection only. What remains (dead letters, postponements, deletes) is the returned settlement's.
    /// The database is retried while `stillHidden` (by default: for one visibility timeout after `receivedAt`).
    /// - Throws: `PipelineError` when the batch was left on the queue.
    public func apply(_ messages: [SQSMessage], receivedAt: ContinuousClock.Instant = .now,
                      stillHidden: (() -> Bool)? = nil) throws -> Settlement {
        let visibility = configuration.visibilityTimeoutSeconds
        let stillHidden = stillHidden ?? { ContinuousClock.now - receivedAt <= .seconds(visibility) }
        var cued = false
        let cue = { if !cued { cued = true; self.finishing() } }
        defer { cue() }
        var summary = BatchSummary()
        summary.messages = messages.count
        summary.waitMilliseconds = milliseconds(since: receivedAt)
        var batch = decode(messages)

        let (result, refused) = try apply(batch.events, stillHidden: stillHidden, encodeTime: &summary.encodeMilliseconds, historiesRead: cue)
        summary.commitMilliseconds = milliseconds(since: receivedAt)
        metrics.observeBatch(seconds: summary.commitMilliseconds / 1000)

        var done: [SQSMessage] = []
        var deferred: [SQSMessage] = []
        for (id, outcome) in result.outcomes {
            let first = batch.receipts[id]![0]
            switch outcome {
            case .applied:
                summary.applied += 1
                done += batch.receipts[id]!
            case .duplicate:
                summary.duplicates += 1
                done += batch.receipts[id]!
            case .productWithoutVector:
                let receives = first.approximateReceiveCount ?? 1
                if receives >= configuration.productRetryReceives {
                    let product = batch.events.first { $0.messageID == id }!.productID
                    batch.rejected.append((first, .productWithoutVector(productID: product, receives: receives)))
                } else {
                    deferred.append(first)
                }
            }
        }
        batch.rejected += refused.map { id, error in (batch.receipts[id]![0], RejectionReason.rejectedByDatabase(error.description)) }
        summary.customers = result.updatedCustomers.count
        summary.rejected = batch.rejected.count
        summary.deferred = deferred.count
        metrics.countOutcomes(applied: summary.applied, duplicates: summary.duplicates, deferred: summary.deferred)
        return Settlement(summary: summary, receivedAt: receivedAt, done: done, deferred: deferred,
                          rejected: batch.rejected.map { ($0.0, $0.1, batch.receipts[$0.0.messageID]!) })
    }

    /// A received batch, decoded.
    private struct DecodedBatch {
        /// Every receipt of each message id (the same message can come twice in one receive; all are deleted).
        var receipts: [String: [SQSMessage]] = [:]
        var events: [IncomingEvent] = []
        var rejected: [(SQSMessage, RejectionReason)] = []
    }

    /// Decodes the bodies (once per message id) and records each message's queue lag.
    private func decode(_ messages: [SQSMessage]) -> DecodedBatch {
        let now = Date()
        var batch = DecodedBatch()
        for message in messages {
            let sent = message.sentTimestamp.map { Date(timeIntervalSince1970: Double($0) / 1000) }
            if let sent { metrics.observeQueueLag(seconds: now.timeIntervalSince(sent)) }
            if batch.receipts[message.messageID] != nil { batch.receipts[message.messageID]!.append(message); continue }
            batch.receipts[message.messageID] = [message]
            if let why = message.unreadable {
                batch.rejected.append((message, .unreadableMessage(why)))
                continue
            }
            switch decoder.decode(message.body, sentTimestamp: sent ?? now, now: now) {
            case .success(let e):
                batch.events.append(IncomingEvent(messageID: message.messageID, customerID: e.customerID, productID: e.productID,
                                                  eventName: e.eventName, occurredAt: e.occurredAt, eventID: e.eventID))
            case .failure(let reason):
                batch.rejected.append((message, reason))
            }
        }
        return batch
    }

    // MARK: applying

    /// Applies the batch; when the database refuses it for one message's data (SQLSTATE class 22 or 23 from
    /// recording the events), applies the events one by one so the others still go through, and returns the
    /// refused ones. Unfit model output is never the events' fault: it throws `PipelineError.internal`.
    private func apply(_ events: [IncomingEvent], stillHidden: () -> Bool, encodeTime: inout Double,
                       historiesRead: () -> Void)
        throws -> (BatchResult, refused: [(String, PQError)]) {
        do {
            return (try applyRetrying(events, stillHidden: stillHidden, encodeTime: &encodeTime, historiesRead: historiesRead), [])
        } catch let error as PQError where error.isDataError {
            var merged = BatchResult()
            var refused: [(String, PQError)] = []
            for event in events {
                do {
                    let one = try applyRetrying([event], stillHidden: stillHidden, encodeTime: &encodeTime, historiesRead: historiesRead)
                    merged.outcomes.merge(one.outcomes) { a, _ in a }
                    merged.updatedCustomers += one.updatedCustomers
                    merged.prunedInteractions += one.prunedInteractions
                } catch let error as PQError where error.isDataError {
                    refused.append((event.messageID, error))
                }
            }
            return (merged, refused)
        }
    }

    /// One transaction, re-run after transient failures and outages (`DatabaseProblem`: connection lost, server
    /// restarting, read-only, disk full, statement or lock timeout; deadlocks) with backoff, until it commits, a
    /// stop is requested, or the queue stops hiding the batch. `health` hears of each failure and the success, and
    /// logs only the state changes; each retry is a debug line.
    private func applyRetrying(_ events: [IncomingEvent], stillHidden: () -> Bool, encodeTime: inout Double,
                               historiesRead: () -> Void) throws -> BatchResult {
        let encoder = model.current
        let window = configuration.settings.windowSeconds
        var attempts = 0
        do {
            let result = try connection.withRetry(databaseRetry, retrying: DatabaseProblem.isRetried, onRetry: { error, wait in
                metrics.countDatabaseError()
                if let problem = DatabaseProblem(error) { health?.failed(worker: index, problem, error: error) }
                logger.debug("database attempt failed, retrying the batch", metadata: [
                    "error": "\(error)", "retry_in_ms": "\(Int(wait * 1000))", "messages": "\(events.count)",
                ])
            }) { _ in
                attempts += 1
                if attempts > 1 {
                    alive()
                    if stop.isStopping { throw PipelineError.stoppedWhileDatabaseUnavailable }
                    if !stillHidden() { throw PipelineError.visibilityExpired(seconds: configuration.visibilityTimeoutSeconds) }
                }
                return try repository.apply(events, now: Date(), window: window, modelVersion: encoder.version,
                                            eventIDHorizon: configuration.settings.eventIDHorizonSeconds) { histories in
                    historiesRead()
                    let started = ContinuousClock.now
                    defer { encodeTime += milliseconds(since: started) }
                    return encoder.encode(histories.map { history in
                        history.map { TowerInteraction(productVector: $0.productVector, eventName: $0.eventName, ageSeconds: $0.ageSeconds) }
                    })
                }
            }
            health?.succeeded(worker: index)
            return result
        } catch let error as PQError where !error.isDataError {
            metrics.countDatabaseError()
            throw PipelineError.database(error)
        } catch let error as UserVectorWriteError {
            metrics.countInternalError()
            throw PipelineError.internal(error)
        }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
