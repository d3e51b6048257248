import Foundation
import LibPQ

/// `tower users refresh`'s reads and writes beside `UserVectorRepository`: the customers to recompute, removing the
/// vectors of empty windows, and publishing the item tower's output as the served product vectors.
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

    /// Deletes the stored vectors of `customers` (those whose window is empty); returns how many there were.
    /// Call under their locks (`UserVectorRepository.lock(customers:)`).
    public func removeVectors(of customers: [Int64]) throws -> Int {
        guard !customers.isEmpty else { return 0 }
        return try connection.execute("DELETE FROM user_vectors WHERE customer_id = ANY($1::bigint[])", [PQArray(customers)])
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
