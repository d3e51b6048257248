import LibPQ
import TowerConfig

/// Keeps `products.popularity` current: the fallback order of ranking for users without a vector.
///
/// A product's popularity is the sum of its events' weights (TOWER_EVENT_WEIGHTS) over the period
/// (newest − `periodSeconds`, newest], where *newest* is the time of the newest event in the log — not the
/// wall clock, so an imported historical log gets meaningful values too. In a live shop the newest event
/// is moments old and the period is simply "the last 30 days". Products without events in the period get 0;
/// events of types no longer configured count nothing. Products whose popularity was fixed by the catalog
/// import (`popularity_fixed`) are left alone. Called after imports and by the daemon's periodic sweep.
public struct PopularityRepository {
    /// The default period: 30 days (TOWER_POPULARITY_PERIOD).
    public static let defaultPeriodSeconds: Double = 30 * 86_400

    private let connection: PQConnection
    private let eventTypes: EventTypes
    private let periodSeconds: Double

    public init(_ connection: PQConnection, eventTypes: EventTypes, periodSeconds: Double = defaultPeriodSeconds) {
        self.connection = connection
        self.eventTypes = eventTypes
        self.periodSeconds = periodSeconds
    }

    /// Recomputes every non-fixed product's popularity in one statement; returns how many values changed
    /// (unchanged rows are not rewritten).
    @discardableResult
    public func refresh() throws -> Int {
        let weights = eventTypes.names.map { eventTypes.weights[$0]! }
        return try connection.execute("""
            WITH anchor AS (
                SELECT max(occurred_at) AS newest FROM events
            ), weights AS (
                SELECT * FROM unnest($1::text[], $2::float8[]) AS w(event_name, weight)
            ), scores AS (
                SELECT e.product_id, sum(w.weight) AS score
                FROM anchor, events e JOIN weights w ON w.event_name = e.event_name
                WHERE e.occurred_at > anchor.newest - make_interval(secs => $3)
                GROUP BY e.product_id
            )
            UPDATE products p SET popularity = coalesce(s.score, 0)
            FROM products q LEFT JOIN scores s ON s.product_id = q.product_id
            WHERE p.product_id = q.product_id AND NOT p.popularity_fixed
              AND p.popularity IS DISTINCT FROM coalesce(s.score, 0)
            """, [PQArray(eventTypes.names), PQArray(weights), periodSeconds])
    }
}
