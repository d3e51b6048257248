import Foundation
import LibPQ

/// `tower users refresh`: the customers to recompute, their recomputation under the daemon's locks, and
/// publishing the item tower's output as the served product vectors.
public struct UserRefreshRepository {
    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Customers with a stored vector or stored interactions.
    public func customerCount() throws -> Int {
        try connection.query("""
            SELECT count(*) FROM (SELECT customer_id FROM user_vectors UNION SELECT customer_id FROM interactions) c
            """)[0].decode(0)
    }

    /// The next `limit` such customers with ids above `after`, ascending.
    public func customers(after: Int64?, limit: Int) throws -> [Int64] {
        try connection.query("""
            SELECT customer_id FROM (SELECT customer_id FROM user_vectors UNION SELECT customer_id FROM interactions) c
            WHERE $1::bigint IS NULL OR customer_id > $1::bigint ORDER BY customer_id LIMIT $2::int
            """, [after, limit]).rows.map { try $0.decode(0) }
    }

    /// Recomputes the vectors of `customers` in one transaction, under the daemon's per-customer locks
    /// (`UserVectorRepository.lock(customers:)`):
    /// each customer's recent interactions since `now − window` (with product vectors, most recent first) go
    /// through `encode` and the vectors are stored with `modelVersion`; interactions older than the window are
    /// pruned. A customer without any interaction in the window loses the stored vector unless `keepStale`.
    /// Returns how many vectors were written and removed.
    public func refresh(_ customers: [Int64], now: Date, window: TimeInterval, modelVersion: String, keepStale: Bool,
                        encode: ([[HistoryItem]]) throws -> [[Float]]) throws -> (written: Int, removed: Int) {
        guard !customers.isEmpty else { return (0, 0) }
        let windowStart = now.addingTimeInterval(-window)
        let vectors = UserVectorRepository(connection)
        return try connection.transaction {
            let sorted = customers.sorted()
            try vectors.lock(customers: sorted)
            let histories = try vectors.histories(of: sorted, now: now, windowStart: windowStart)
            let encoded = sorted.filter { histories[$0] != nil }
            let output = encoded.isEmpty ? [] : try encode(encoded.map { histories[$0]! })
            precondition(output.count == encoded.count, "the encoder returned \(output.count) vectors for \(encoded.count) histories")
            try vectors.store(vectors: zip(encoded, output).map { (customerID: $0, embedding: $1) }, modelVersion: modelVersion,
                              updatedAt: now, pruning: sorted, windowStart: windowStart)
            let empty = sorted.filter { histories[$0] == nil }
            let removed = keepStale || empty.isEmpty ? 0
                : try connection.execute("DELETE FROM user_vectors WHERE customer_id = ANY($1::bigint[])", [PQArray(empty)])
            return (encoded.count, removed)
        }
    }

    /// Sets `products.embedding` (the served vector) of each product; rows already equal are not rewritten.
    /// Returns how many changed.
    @discardableResult
    public func publishServedVectors(_ vectors: [(productID: Int64, vector: [Float])]) throws -> Int {
        guard !vectors.isEmpty else { return 0 }
        return try connection.execute("""
            UPDATE products AS p SET embedding = u.v::vector
            FROM unnest($1::bigint[], $2::text[]) AS u(id, v)
            WHERE p.product_id = u.id AND p.embedding IS DISTINCT FROM u.v::vector
            """, [PQArray(vectors.map(\.productID)), PQArray(vectors.map { PQVector($0.vector).postgresText })])
    }
}
