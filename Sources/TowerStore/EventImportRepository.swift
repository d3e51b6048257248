import Foundation
import LibPQ
import TowerConfig

/// Appends imported events to the event log (`events`) and fills the recent-interaction window.
public struct EventImportRepository {
    /// What one append wrote.
    public struct AppendCounts: Equatable, Sendable {
        /// Rows appended to `events`.
        public var appended: Int
        /// Of those, rows also recorded in `interactions` (inside the window).
        public var interactions: Int
        /// Events skipped because their `event_id` was recorded within the horizon (by the daemon, an earlier
        /// import or an earlier line of this one).
        public var duplicates: Int

        public init(appended: Int, interactions: Int, duplicates: Int = 0) {
            self.appended = appended
            self.interactions = interactions
            self.duplicates = duplicates
        }
    }

    private let connection: PQConnection
    private let windowSeconds: Double
    private let eventIDHorizonSeconds: Double

    /// `windowSeconds`: the recent-interaction window (TOWER_WINDOW); events newer than now minus it
    /// also go to `interactions`, where the daemon reads a customer's recent history.
    /// `eventIDHorizonSeconds`: how long an `event_id` deduplicates (TOWER_EVENT_ID_HORIZON).
    public init(_ connection: PQConnection, windowSeconds: Double,
                eventIDHorizonSeconds: Double = TowerSettings.defaultEventIDHorizonSeconds) {
        self.connection = connection
        self.windowSeconds = windowSeconds
        self.eventIDHorizonSeconds = eventIDHorizonSeconds
    }

    /// In ONE transaction: streams the events `produce` hands to its `add` closure into a temporary table (COPY),
    /// appends them to the log in that order (`event_id` follows the order) — skipping those whose producer
    /// `event_id` is recorded within the horizon, and recording the others' — then records those inside the
    /// window in `interactions`. If anything throws — `produce` included — nothing is written, so a failed import
    /// can simply be re-run. (A completed import run again appends its events again, except those with an
    /// `event_id`: the log has no other natural key.)
    public func append(_ produce: (_ add: (EventRecord) throws -> Void) throws -> Void) throws -> AppendCounts {
        try connection.transaction {
            try connection.execute("""
                CREATE TEMPORARY TABLE imported_events (line bigserial, customer_id bigint, product_id bigint, event_name text,
                    occurred_at timestamptz, producer_event_id text) ON COMMIT DROP
                """)
            let read = try connection.copyIn("""
                COPY imported_events (customer_id, product_id, event_name, occurred_at, producer_event_id) FROM STDIN
                """) { write in
                try withoutActuallyEscaping(write) { write in
                    try produce { e in try write(CopyText.row([e.customerID, e.productID, e.eventName, e.occurredAt, e.eventID])) }
                }
            }
            let before = try connection.query("SELECT coalesce(max(event_id), 0) FROM events")[0].decode(0, as: Int64.self)
            // The first line of each event id not recorded within the horizon claims it (as the daemon does).
            let appended = try connection.execute("""
                WITH claimed AS (
                    INSERT INTO producer_event_ids (event_id, seen_at)
                    SELECT DISTINCT ON (producer_event_id) producer_event_id, now() FROM imported_events
                    WHERE producer_event_id IS NOT NULL ORDER BY producer_event_id, line
                    ON CONFLICT (event_id) DO UPDATE SET message_id = NULL, seen_at = EXCLUDED.seen_at
                        WHERE producer_event_ids.seen_at < now() - make_interval(secs => $1)
                    RETURNING event_id
                ), first AS (
                    SELECT DISTINCT ON (producer_event_id) line FROM imported_events
                    WHERE producer_event_id IN (SELECT event_id FROM claimed) ORDER BY producer_event_id, line
                )
                INSERT INTO events (customer_id, product_id, event_name, occurred_at)
                SELECT customer_id, product_id, event_name, occurred_at FROM imported_events
                WHERE producer_event_id IS NULL OR line IN (SELECT line FROM first)
                ORDER BY line
                """, [eventIDHorizonSeconds])
            // This transaction's rows: ids above the committed maximum, written by this transaction (xmin).
            let interactions = try connection.execute("""
                INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
                SELECT customer_id, product_id, event_name, occurred_at, event_id FROM events
                WHERE event_id > $1 AND xmin = pg_current_xact_id()::xid
                  AND occurred_at >= now() - make_interval(secs => $2)
                ON CONFLICT DO NOTHING
                """, [before, windowSeconds])
            return AppendCounts(appended: appended, interactions: interactions, duplicates: read - appended)
        }
    }
}
