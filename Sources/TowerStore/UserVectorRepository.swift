import Foundation
import LibPQ

/// One interaction of a customer's recent history, with the product's served vector.
public struct HistoryItem: Sendable, Equatable {
    public var productID: Int64
    public var productVector: [Float]
    public var eventName: String
    /// Seconds between the interaction and the reference time (never negative).
    public var ageSeconds: Float

    public init(productID: Int64, productVector: [Float], eventName: String, ageSeconds: Float) {
        self.productID = productID
        self.productVector = productVector
        self.eventName = eventName
        self.ageSeconds = ageSeconds
    }
}

/// A stored user vector.
public struct StoredUserVector: Sendable, Equatable {
    public var customerID: Int64
    public var embedding: [Float]
    public var modelVersion: String
    public var updatedAt: Date
}

/// A row of the recent-interactions table, with the product's name when the product exists.
public struct StoredInteraction: Sendable, Equatable {
    public var eventID: Int64
    public var productID: Int64
    public var productName: String?
    public var eventName: String
    public var occurredAt: Date
}

/// Reads customers' recent histories and writes their vectors (`user_vectors`) and window (`interactions`).
/// Statements are prepared once per connection. Callers own the transaction.
public final class UserVectorRepository {
    /// The most recent interactions the user tower reads.
    public static let historyLimit = 20

    private let connection: PQConnection

    public init(_ connection: PQConnection) {
        self.connection = connection
        connection.prepare("uv_lock", "SELECT pg_advisory_xact_lock(c) FROM unnest($1::bigint[]) AS c")
        // A product's vector is sent once per result (NULL in its other rows): popular products recur across
        // the batch's histories, and the vectors are most of the bytes.
        connection.prepare("uv_histories", """
            SELECT c.customer_id, h.product_id, h.event_name,
                   greatest(extract(epoch FROM $2::timestamptz - h.occurred_at), 0)::float4,
                   CASE WHEN row_number() OVER (PARTITION BY h.product_id) = 1 THEN h.embedding END
            FROM unnest($1::bigint[]) AS c(customer_id)
            CROSS JOIN LATERAL (
                SELECT i.product_id, i.event_name, i.occurred_at, i.event_id, p.embedding
                FROM interactions i JOIN products p ON p.product_id = i.product_id
                WHERE i.customer_id = c.customer_id AND i.occurred_at >= $3::timestamptz AND p.embedding IS NOT NULL
                ORDER BY i.occurred_at DESC, i.event_id DESC
                LIMIT $4::int) h
            ORDER BY c.customer_id, h.occurred_at DESC, h.event_id DESC
            """)
        connection.prepare("uv_store", """
            WITH upserted AS (
                INSERT INTO user_vectors (customer_id, embedding, model_version, updated_at)
                SELECT t.customer_id, ($2::float4[])[(t.n - 1) * $7::int + 1 : t.n * $7::int]::vector, $3::text, $4::timestamptz
                FROM unnest($1::bigint[]) WITH ORDINALITY AS t(customer_id, n)
                ON CONFLICT (customer_id) DO UPDATE
                    SET embedding = EXCLUDED.embedding, model_version = EXCLUDED.model_version, updated_at = EXCLUDED.updated_at
                RETURNING 1
            ), pruned AS (
                DELETE FROM interactions WHERE customer_id = ANY($5::bigint[]) AND occurred_at < $6::timestamptz
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM pruned)
            """)
        connection.prepare("uv_vector", """
            SELECT embedding, model_version, updated_at FROM user_vectors WHERE customer_id = $1::bigint
            """)
        connection.prepare("uv_interactions", """
            SELECT i.event_id, i.product_id, p.name, i.event_name, i.occurred_at
            FROM interactions i LEFT JOIN products p ON p.product_id = i.product_id
            WHERE i.customer_id = $1::bigint ORDER BY i.occurred_at DESC, i.event_id DESC LIMIT $2::int
            """)
    }

    /// Locks the customers until the transaction ends: `pg_advisory_xact_lock(customer_id)`, in ascending id order
    /// (unnest keeps the array's order), so writers of several customers never deadlock. Every writer of a
    /// customer's interactions or vector takes this lock first, so the stored vector always reflects the stored
    /// interactions. Call inside a transaction.
    public func lock(customers: [Int64]) throws {
        try connection.query(prepared: "uv_lock", [PQArray(Self.lockOrder(customers))])
    }

    /// The customers, once each, in the order their locks are taken.
    static func lockOrder(_ customers: [Int64]) -> [Int64] { Array(Set(customers)).sorted() }

    /// Each customer's most recent interactions since `windowStart` whose product has a vector, most recent
    /// first, at most `limit`; ages relative to `now`. Customers without any are absent from the result.
    public func histories(of customers: [Int64], now: Date, windowStart: Date,
                          limit: Int = UserVectorRepository.historyLimit) throws -> [Int64: [HistoryItem]] {
        guard !customers.isEmpty else { return [:] }
        return try histories(from: connection.pipeline([historiesStatement(of: customers, now: now, windowStart: windowStart, limit: limit)])[0])
    }

    /// The statement behind `histories(of:)`, to run in a pipeline.
    func historiesStatement(of customers: [Int64], now: Date, windowStart: Date,
                            limit: Int = UserVectorRepository.historyLimit) -> PipelinedStatement {
        .prepared("uv_histories", [PQArray(customers), now, windowStart, limit])
    }

    /// Reads the result of `historiesStatement`.
    func histories(from rows: PQResult) throws -> [Int64: [HistoryItem]] {
        var vectors: [Int64: [Float]] = [:]
        for row in rows.rows where !row.isNull(4) { vectors[try row.decode(1)] = try row.decode(4, as: [Float].self) }
        var out: [Int64: [HistoryItem]] = [:]
        for row in rows.rows {
            let product: Int64 = try row.decode(1)
            guard let vector = vectors[product] else {
                throw PQError.decoding(column: "embedding", message: "no vector sent for product \(product)")
            }
            let item = HistoryItem(productID: product, productVector: vector, eventName: try row.decode(2),
                                   ageSeconds: Float(try row.decode(3, as: Double.self)))
            out[try row.decode(0, as: Int64.self), default: []].append(item)
        }
        return out
    }

    /// Upserts `vectors` (all of one dimension) with `modelVersion` and `updatedAt`, and deletes the interactions
    /// of `pruning` older than `windowStart` — one statement. Returns the numbers of vectors written and rows pruned.
    @discardableResult
    public func store(vectors: [(customerID: Int64, embedding: [Float])], modelVersion: String, updatedAt: Date,
                      pruning: [Int64], windowStart: Date) throws -> (stored: Int, pruned: Int) {
        try storeCounts(from: connection.pipeline([storeStatement(vectors: vectors, modelVersion: modelVersion, updatedAt: updatedAt,
                                                                  pruning: pruning, windowStart: windowStart)])[0])
    }

    /// The statement behind `store`, to run in a pipeline.
    func storeStatement(vectors: [(customerID: Int64, embedding: [Float])], modelVersion: String, updatedAt: Date,
                        pruning: [Int64], windowStart: Date) -> PipelinedStatement {
        let dimension = vectors.first?.embedding.count ?? 0
        precondition(vectors.allSatisfy { $0.embedding.count == dimension }, "user vectors of one batch must have one dimension")
        return .prepared("uv_store", [
            PQArray(vectors.map(\.customerID)), FloatRows(vectors.map(\.embedding)),
            modelVersion, updatedAt, PQArray(pruning), windowStart, dimension,
        ])
    }

    /// Reads the result of `storeStatement`.
    func storeCounts(from result: PQResult) throws -> (stored: Int, pruned: Int) {
        (try result[0].decode(0), try result[0].decode(1))
    }

    /// The stored vector of one customer, if any.
    public func vector(of customer: Int64) throws -> StoredUserVector? {
        let result = try connection.query(prepared: "uv_vector", [customer])
        guard result.count == 1 else { return nil }
        let row = result[0]
        return StoredUserVector(customerID: customer, embedding: try row.decode(0), modelVersion: try row.decode(1),
                                updatedAt: try row.decode(2))
    }

    /// One customer's stored interactions, most recent first.
    public func interactions(of customer: Int64, limit: Int = UserVectorRepository.historyLimit) throws -> [StoredInteraction] {
        try connection.query(prepared: "uv_interactions", [customer, limit]).rows.map { row in
            StoredInteraction(eventID: try row.decode(0), productID: try row.decode(1), productName: try row.decodeIfPresent(2),
                              eventName: try row.decode(3), occurredAt: try row.decode(4))
        }
    }
}

/// Equal-length float vectors as one flat `float4[]` parameter, sliced back into rows in SQL. It travels in
/// PostgreSQL's binary array format: parsing thousands of decimal floats was a fifth of the server's CPU per batch.
struct FloatRows: PQBinaryBindable {
    let rows: [[Float]]
    init(_ rows: [[Float]]) { self.rows = rows }

    /// `{1.5,-0.25,…}`, each value in its shortest exact form.
    var postgresText: String {
        "{" + rows.joined().map { $0.description }.joined(separator: ",") + "}"
    }

    /// One-dimensional `float4[]`: ndim, has-nulls, element type (float4, OID 700), length, lower bound, then
    /// (length 4, value) per element; big-endian.
    var postgresBinary: [UInt8] {
        let count = rows.reduce(0) { $0 + $1.count }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + 8 * count)
        func append(_ value: UInt32) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        for header in [1, 0, 700, UInt32(count), 1] as [UInt32] { append(header) }
        for row in rows {
            for value in row {
                append(4)
                append(value.bitPattern)
            }
        }
        return bytes
    }
}
