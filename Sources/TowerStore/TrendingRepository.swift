import LibPQ
import TowerConfig

/// Keeps `product_trending` current: per product, the sum of its events' weights (TOWER_EVENT_WEIGHTS) over
/// the last 1, 7 and 30 days before the newest event of the log (as `products.popularity`, so an imported
/// log works too), and TowerRerank's `Trending.score` (weight_1d − weight_30d / 30). One SQL aggregate over
/// the `events_time` index; the whole table is replaced in one transaction, so readers see the old rows or
/// the new ones. Called by `tower train` and hourly by the daemon's sweep.
public struct TrendingRepository {
    private let connection: PQConnection
    private let eventTypes: EventTypes

    public init(_ connection: PQConnection, eventTypes: EventTypes) {
        self.connection = connection
        self.eventTypes = eventTypes
    }

    /// Recomputes the table; returns the number of products with events in the last 30 days.
    @discardableResult
    public func refresh() throws -> Int {
        let weights = eventTypes.names.map { eventTypes.weights[$0]! }
        return try connection.transaction {
            try connection.execute("DELETE FROM product_trending")
            // The score formula is TowerRerank's `Trending.score`; TrendingRepositoryTests checks they agree.
            return try connection.execute("""
                WITH anchor AS (
                    SELECT max(occurred_at) AS newest FROM events
                ), weights AS (
                    SELECT * FROM unnest($1::text[], $2::float8[]) AS w(event_name, weight)
                ), sums AS (
                    SELECT e.product_id,
                           sum(w.weight) FILTER (WHERE e.occurred_at > a.newest - interval '1 day') AS w1,
                           sum(w.weight) FILTER (WHERE e.occurred_at > a.newest - interval '7 days') AS w7,
                           sum(w.weight) AS w30
                    FROM anchor a, events e JOIN weights w ON w.event_name = e.event_name
                    WHERE e.occurred_at > a.newest - interval '30 days' AND e.occurred_at <= a.newest
                    GROUP BY e.product_id
                )
                INSERT INTO product_trending (product_id, weight_1d, weight_7d, weight_30d, trend_score, refreshed_at)
                SELECT product_id, coalesce(w1, 0), coalesce(w7, 0), w30, coalesce(w1, 0)::real - (w30 / 30)::real, now()
                FROM sums
                """, [PQArray(eventTypes.names), PQArray(weights)])
        }
    }
}
