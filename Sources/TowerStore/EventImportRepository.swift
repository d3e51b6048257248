import Foundation
import Postgres

/// Appends imported events to the event log (`events`) and fills the recent-interaction window.
public struct EventImportRepository {
    /// What one append wrote.
    public struct AppendCounts: Equatable, Sendable {
        /// Rows appended to `events`.
        public var appended: Int
        /// Of those, rows also recorded in `interactions` (inside the window).
        public var interactions: Int

        public init(appended: Int, interactions: Int) {
            self.appended = appended
            self.interactions = interactions
        }
    }

    private let connection: PostgresConnection
    private let windowSeconds: Double

    /// `windowSeconds`: the recent-interaction window (TOWER_WINDOW); events newer than now minus it
    /// also go to `interactions`, where the daemon reads a customer's recent history.
    public init(_ connection: PostgresConnection, windowSeconds: Double) {
        self.connection = connection
        self.windowSeconds = windowSeconds
    }

    /// In ONE transaction: streams the events `produce` hands to its `add` closure into the log in that order
    /// (COPY; `event_id` follows the order), then records those inside the window in `interactions`.
    /// If anything throws — `produce` included — nothing is written, so a failed import can simply be
    /// re-run. (A completed import run again appends its events again: the log has no natural key.)
    public func append(_ produce: (_ add: (EventRecord) throws -> Void) throws -> Void) throws -> AppendCounts {
        try connection.transaction {
            let before = try connection.query("SELECT coalesce(max(event_id), 0) FROM events")[0].decode(0, as: Int64.self)
            let appended = try connection.copyIn("COPY events (customer_id, product_id, event_name, occurred_at) FROM STDIN") { write in
                try withoutActuallyEscaping(write) { write in
                    try produce { e in try write(CopyText.row([e.customerID, e.productID, e.eventName, e.occurredAt])) }
                }
            }
            // This transaction's rows: ids above the committed maximum, written by this transaction (xmin).
            let interactions = try connection.execute("""
                INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
                SELECT customer_id, product_id, event_name, occurred_at, event_id FROM events
                WHERE event_id > $1 AND xmin = pg_current_xact_id()::xid
                  AND occurred_at >= now() - make_interval(secs => $2)
                ON CONFLICT DO NOTHING
                """, [before, windowSeconds])
            return AppendCounts(appended: appended, interactions: interactions)
        }
    }
}
