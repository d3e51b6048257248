import Foundation
import LibPQ
import TowerModel
import TowerStore

/// Applying a batch of events, what towerd does per received batch (the queue side apart): in one transaction,
/// record the interactions (idempotently), load each affected customer's recent history, run the user tower on them
/// as one batch, write the vectors and prune the window (`InteractionRepository`), commit.
///
/// Not thread-safe: one per database connection.
public final class BatchApplier {
    private let repository: InteractionRepository
    private let window: TimeInterval
    private let eventIDHorizon: TimeInterval

    /// `window`: seconds of history kept and read (TOWER_WINDOW); `eventIDHorizon`: seconds a producer's `event_id`
    /// deduplicates (TOWER_EVENT_ID_HORIZON).
    public init(_ connection: PQConnection, window: TimeInterval, eventIDHorizon: TimeInterval) {
        repository = InteractionRepository(connection)
        self.window = window
        self.eventIDHorizon = eventIDHorizon
    }

    /// What one application did.
    public struct Applied: Sendable {
        public var result: BatchResult
        /// Seconds spent running the user tower.
        public var encodeSeconds: Double
    }

    /// Applies `events` (message ids unique) with `encoder` as of `now`; `historiesRead` is called once the
    /// histories are read, when only the user tower and the commit remain.
    /// - Throws: `PQError` (rolled back; re-running is safe; a data error is the events' own),
    ///   `UserVectorWriteError` when the encoder's output is unfit to store or refused (Tower's fault, not the events').
    public func apply(_ events: [QueuedEvent], encoder: any UserEncoder, now: Date = Date(),
                      historiesRead: () -> Void = {}) throws -> Applied {
        let recorded = try repository.record(events, now: now, window: window, eventIDHorizon: eventIDHorizon)
        historiesRead()
        let started = ContinuousClock.now
        let vectors = recorded.histories.isEmpty ? [] : encoder.encode(stored: recorded.histories)
        let elapsed = ContinuousClock.now - started
        let result = try repository.commit(recorded, vectors: vectors, modelVersion: encoder.version)
        return Applied(result: result, encodeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
