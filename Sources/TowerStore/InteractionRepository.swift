import Foundation
import LibPQ
import TowerConfig

/// An event to record, keyed by the id of the queue message that carried it (and by the producer's
/// `event_id` when it has one).
public struct IncomingEvent: Sendable, Equatable {
    public var messageID: String
    public var customerID: Int64
    public var productID: Int64
    public var eventName: String
    public var occurredAt: Date
    /// The producer's `event_id` (validated: `ProducerEventID`), nil when the body had none.
    public var eventID: String?

    public init(messageID: String, customerID: Int64, productID: Int64, eventName: String, occurredAt: Date, eventID: String? = nil) {
        self.messageID = messageID
        self.customerID = customerID
        self.productID = productID
        self.eventName = eventName
        self.occurredAt = occurredAt
        self.eventID = eventID
    }
}

/// What a batch did with one message.
public enum EventOutcome: Sendable, Equatable {
    /// Recorded, and the customer's vector recomputed.
    case applied
    /// Already applied earlier — a redelivery, or a producer's retry whose `event_id` was recorded within the
    /// horizon (also within the same batch: the first of its copies is applied): nothing changed.
    case duplicate
    /// The product has no row or no vector yet: nothing recorded (the caller retries or dead-letters it).
    case productWithoutVector
}

/// The effect of one batch.
public struct BatchResult: Sendable, Equatable {
    /// Outcome per message id.
    public var outcomes: [String: EventOutcome]
    /// Customers whose vectors were written.
    public var updatedCustomers: [Int64]
    /// Interaction rows pruned (older than the window).
    public var prunedInteractions: Int

    public init(outcomes: [String: EventOutcome] = [:], updatedCustomers: [Int64] = [], prunedInteractions: Int = 0) {
        self.outcomes = outcomes
        self.updatedCustomers = updatedCustomers
        self.prunedInteractions = prunedInteractions
    }

    public func count(_ outcome: EventOutcome) -> Int { outcomes.values.reduce(0) { $0 + ($1 == outcome ? 1 : 0) } }
}

/// The write side of the event pipeline: applies one received batch in one transaction.
///
/// Order inside the transaction: lock the batch's customers (the locks of `UserVectorRepository.lock`, so concurrent
/// batches never deadlock and one customer's updates never interleave) → record the new
/// messages in `processed_messages`, `events` and `interactions` (messages already in `processed_messages`
/// or `events` are skipped: exactly-once on redelivery; so are events whose producer `event_id` is in
/// `producer_event_ids` and younger than the horizon: exactly-once on a producer's retry) → load each affected customer's recent history with
/// product vectors → `encode` (the user tower, batched) → upsert the vectors and prune interactions older
/// than the window. The caller deletes the messages from the queue only after this returns.
public final class InteractionRepository {
    private let connection: PQConnection
    private let vectors: UserVectorRepository

    public init(_ connection: PQConnection) {
        self.connection = connection
        vectors = UserVectorRepository(connection)
        // One round trip: `locked` takes the customer locks before any row reaches the inserts — `ready` joins it, and
        // its one row (an aggregate over all the lock calls) exists only once every lock is held. The statement's snapshot
        // predates the locks, which is harmless here: the inserts' conflict checks see concurrent commits, and
        // the history is read by the next statement, with a snapshot taken after the locks are held.
        connection.prepare("ir_record", """
            WITH locked AS (
                SELECT count(pg_advisory_xact_lock(c)) AS n FROM unnest($8::bigint[]) AS c
            ), input AS (
                SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $9::text[])
                    AS t(message_id, customer_id, product_id, event_name, occurred_at, producer_event_id)
            ), ready AS (
                SELECT i.* FROM input i, locked
                WHERE locked.n >= 0
                  AND EXISTS (SELECT 1 FROM products p WHERE p.product_id = i.product_id AND p.embedding IS NOT NULL)
            ), fresh AS (
                INSERT INTO processed_messages (message_id, processed_at)
                SELECT message_id, $7::timestamptz FROM ready
                ON CONFLICT (message_id) DO NOTHING
                RETURNING message_id
            ), claimed AS (
                -- One claim per producer event id (its earliest copy in the batch), in id order so concurrent
                -- batches never deadlock; a claim older than the horizon ($10) is taken over. The unique key
                -- makes a concurrent daemon's claim of the same id wait for this one and then lose.
                INSERT INTO producer_event_ids (event_id, message_id, seen_at)
                SELECT DISTINCT ON (r.producer_event_id) r.producer_event_id, r.message_id, $7::timestamptz
                FROM ready r JOIN fresh f ON f.message_id = r.message_id
                WHERE r.producer_event_id IS NOT NULL
                ORDER BY r.producer_event_id, r.occurred_at, r.message_id
                ON CONFLICT (event_id) DO UPDATE SET message_id = EXCLUDED.message_id, seen_at = EXCLUDED.seen_at
                    WHERE producer_event_ids.seen_at < $10::timestamptz
                RETURNING message_id
            ), logged AS (
                INSERT INTO events (customer_id, product_id, event_name, occurred_at, message_id)
                SELECT r.customer_id, r.product_id, r.event_name, r.occurred_at, r.message_id
                FROM ready r JOIN fresh f ON f.message_id = r.message_id
                WHERE r.producer_event_id IS NULL OR r.message_id IN (SELECT message_id FROM claimed)
                ORDER BY r.occurred_at, r.message_id
                ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING
                RETURNING event_id, customer_id, product_id, event_name, occurred_at, message_id
            ), recent AS (
                INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
                SELECT customer_id, product_id, event_name, occurred_at, event_id FROM logged
                WHERE occurred_at >= $6::timestamptz
            )
            SELECT i.message_id, r.message_id IS NOT NULL, l.message_id IS NOT NULL
            FROM input i
            LEFT JOIN ready r ON r.message_id = i.message_id
            LEFT JOIN logged l ON l.message_id = i.message_id
            """)
        connection.prepare("ir_prune_expired", """
            DELETE FROM interactions WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM interactions WHERE occurred_at < $1::timestamptz LIMIT $2::int))
            """)
        connection.prepare("ir_forget_messages", """
            DELETE FROM processed_messages WHERE message_id = ANY (ARRAY(
                SELECT message_id FROM processed_messages WHERE processed_at < $1::timestamptz LIMIT $2::int))
            """)
        connection.prepare("ir_forget_event_ids", """
            DELETE FROM producer_event_ids WHERE event_id = ANY (ARRAY(
                SELECT event_id FROM producer_event_ids WHERE seen_at < $1::timestamptz LIMIT $2::int))
            """)
    }

    /// Applies `events` in one transaction (see the type's documentation) and returns what happened.
    /// Message ids must be unique within the batch. Two round trips (libpq pipelines): BEGIN + lock-and-record +
    /// histories, then store + COMMIT; the user tower runs in between.
    ///
    /// - Parameters:
    ///   - now: the reference time: event ages, `updated_at`, `processed_at`.
    ///   - window: seconds of history kept and read (TOWER_WINDOW).
    ///   - modelVersion: stored beside each vector.
    ///   - eventIDHorizon: seconds a producer `event_id` is remembered (TOWER_EVENT_ID_HORIZON): an event whose id
    ///     was recorded less than this before `now` is a duplicate.
    ///   - encode: the user tower: one history per customer (most recent first, 1…20 items) → one vector each.
    /// - Throws: `PQError` (the transaction is rolled back; re-running the batch is safe; a data error —
    ///   SQLSTATE class 22/23 — is the events' own), `UserVectorWriteError` when the encoder's output is unfit to
    ///   store or refused (Tower's fault, not the events'), or what `encode` throws.
    public func apply(_ events: [IncomingEvent], now: Date, window: TimeInterval, modelVersion: String,
                      eventIDHorizon: TimeInterval = TowerSettings.defaultEventIDHorizonSeconds,
                      encode: ([[HistoryItem]]) throws -> [[Float]]) throws -> BatchResult {
        precondition(Set(events.map(\.messageID)).count == events.count, "message ids must be unique within a batch")
        guard !events.isEmpty else { return BatchResult() }
        let windowStart = now.addingTimeInterval(-window)
        let customers = UserVectorRepository.lockOrder(events.map(\.customerID))
        do {
            // The histories statement runs after the record statement, so it sees this batch's rows and, with a
            // snapshot taken once the locks are held, every concurrent batch's committed rows for these customers.
            let first = try connection.pipeline([
                .sql("BEGIN"),
                .prepared("ir_record", [
                    PQArray(events.map(\.messageID)), PQArray(events.map(\.customerID)),
                    PQArray(events.map(\.productID)), PQArray(events.map(\.eventName)),
                    PQArray(events.map(\.occurredAt)), windowStart, now, PQArray(customers),
                    PQArray(events.map(\.eventID)), now.addingTimeInterval(-eventIDHorizon),
                ]),
                vectors.historiesStatement(of: customers, now: now, windowStart: windowStart),
            ])
            var outcomes: [String: EventOutcome] = [:]
            for row in first[1].rows {
                let ready: Bool = try row.decode(1), applied: Bool = try row.decode(2)
                outcomes[try row.decode(0)] = applied ? .applied : ready ? .duplicate : .productWithoutVector
            }
            let affected = Array(Set(events.filter { outcomes[$0.messageID] == .applied }.map(\.customerID))).sorted()
            guard !affected.isEmpty else {
                try connection.execute("COMMIT")
                return BatchResult(outcomes: outcomes)
            }
            let histories = try vectors.histories(from: first[2])
            let encoded = affected.filter { histories[$0] != nil }
            let output = encoded.isEmpty ? [] : try encode(encoded.map { histories[$0]! })
            try UserVectorRepository.check(output, for: encoded)
            let second: [PQResult]
            do {
                second = try connection.pipeline([
                    vectors.storeStatement(vectors: zip(encoded, output).map { (customerID: $0.0, embedding: $0.1) },
                                           modelVersion: modelVersion, updatedAt: now, pruning: affected, windowStart: windowStart),
                    .sql("COMMIT"),
                ])
            } catch let error as PQError where error.isDataError {
                // The events passed the record statement: a data error now is about the vectors Tower computed.
                throw UserVectorWriteError.refused(error)
            }
            return BatchResult(outcomes: outcomes, updatedCustomers: encoded, prunedInteractions: try vectors.storeCounts(from: second[0]).pruned)
        } catch {
            if connection.isConnected { _ = try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    /// Deletes up to `limit` interactions older than `cutoff`, of any customer (the sweep for customers who went
    /// quiet; their stored vectors stay). Returns the number deleted; call again until it returns less than `limit`.
    public func pruneExpired(before cutoff: Date, limit: Int = 10_000) throws -> Int {
        try connection.query(prepared: "ir_prune_expired", [cutoff, limit]).affectedRows
    }

    /// Deletes up to `limit` `processed_messages` rows older than `cutoff` (longer than the queue keeps a
    /// message, so no redelivery can still need them). Returns the number deleted.
    public func forgetProcessedMessages(before cutoff: Date, limit: Int = 10_000) throws -> Int {
        try connection.query(prepared: "ir_forget_messages", [cutoff, limit]).affectedRows
    }

    /// Deletes up to `limit` `producer_event_ids` rows recorded before `cutoff` (now minus TOWER_EVENT_ID_HORIZON:
    /// past the horizon an id no longer deduplicates). Returns the number deleted.
    public func forgetEventIDs(before cutoff: Date, limit: Int = 10_000) throws -> Int {
        try connection.query(prepared: "ir_forget_event_ids", [cutoff, limit]).affectedRows
    }
}
