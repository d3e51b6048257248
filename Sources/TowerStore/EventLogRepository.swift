import Foundation
import LibPQ

/// Reads the event log and the catalog's vectors for training and offline evaluation.
public struct EventLogRepository {
    /// One event of the log.
    public struct Event: Sendable, Equatable {
        public var eventID: Int64
        public var customerID: Int64
        public var productID: Int64
        public var eventName: String
        /// `occurred_at` in microseconds since the Unix epoch.
        public var occurredAt: Int64
    }

    /// A product's vectors.
    public struct ProductVectors: Sendable {
        public var productID: Int64
        public var active: Bool
        /// MiniLM vector of the product text (`text_embedding`).
        public var text: [Float]?
        /// The served vector (`embedding`).
        public var served: [Float]?
        /// `category_path` and `price_tier`, for the re-ranker's affinity features.
        public var categories: [String] = []
        public var priceTier: String?
        /// `created_at` (Unix seconds): the served fallback's tie-break (popularity desc, newest first, id).
        public var createdAt: Double = 0
    }

    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Number of logged events.
    public func count() throws -> Int { try connection.query("SELECT count(*) FROM events")[0].decode(0) }

    /// The distinct products of the logged events, ascending.
    public func productIDs() throws -> [Int64] {
        try connection.query("SELECT DISTINCT product_id FROM events ORDER BY product_id").rows.map { try $0.decode(0) }
    }

    /// The default train/test boundary: the `occurred_at` (µs) of the event at position ⌊fraction · N⌋ in
    /// log order (`occurred_at`, `event_id`), so that at most that share of events lies strictly before it.
    /// Nil when the log is empty.
    public func splitTime(fraction: Double) throws -> Int64? {
        let n = try count()
        guard n > 0 else { return nil }
        let position = min(n - 1, Int((Double(n) * fraction).rounded(.down)))
        let result = try connection.query("""
            SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint FROM events
            ORDER BY occurred_at, event_id OFFSET $1::bigint LIMIT 1
            """, [position])
        return result.count == 1 ? try result[0].decode(0) : nil
    }

    /// Events in log order (`occurred_at`, then `event_id`), those strictly before `before` (µs) when given,
    /// read in pages of `pageSize` (keyset pagination on the log order index).
    public func events(before: Int64? = nil, pageSize: Int = 100_000, progress: (Int) -> Void = { _ in }) throws -> [Event] {
        var all: [Event] = []
        var after: (time: Int64, id: Int64)? = nil
        while true {
            let rows = try connection.query("""
                SELECT event_id, customer_id, product_id, event_name, (extract(epoch FROM occurred_at) * 1000000)::bigint
                FROM events
                WHERE ($1::bigint IS NULL OR (occurred_at, event_id) > (\(Self.time("$1")), $2::bigint))
                  AND ($3::bigint IS NULL OR occurred_at < \(Self.time("$3")))
                ORDER BY occurred_at, event_id LIMIT $4::int
                """, [after?.time, after?.id, before, pageSize])
            for r in rows.rows {
                all.append(Event(eventID: try r.decode(0), customerID: try r.decode(1), productID: try r.decode(2),
                                 eventName: try r.decode(3), occurredAt: try r.decode(4)))
            }
            progress(rows.count)
            guard rows.count == pageSize, let last = all.last else { return all }
            after = (last.occurredAt, last.eventID)
        }
    }

    /// SQL for the timestamptz of a parameter holding microseconds since the epoch (exact integer arithmetic).
    static func time(_ parameter: String) -> String { "(timestamptz 'epoch' + \(parameter)::bigint * interval '1 microsecond')" }

    /// Every product's vectors, in id order, read in pages.
    public func productVectors(pageSize: Int = 10_000) throws -> [ProductVectors] {
        var all: [ProductVectors] = []
        while true {
            let rows = try connection.query("""
                SELECT product_id, active, text_embedding, embedding, category_path, price_tier,
                       extract(epoch FROM created_at)::float8 FROM products
                WHERE product_id > $1::bigint ORDER BY product_id LIMIT $2::int
                """, [all.last?.productID ?? Int64.min, pageSize])
            for r in rows.rows {
                all.append(ProductVectors(productID: try r.decode(0), active: try r.decode(1),
                                          text: try r.decodeIfPresent(2), served: try r.decodeIfPresent(3),
                                          categories: try r.decode(4), priceTier: try r.decodeIfPresent(5),
                                          createdAt: try r.decode(6)))
            }
            guard rows.count == pageSize else { return all }
        }
    }
}
