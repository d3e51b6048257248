import LibPQ

/// Reads what product texts are built from and writes text vectors (`tower catalog embed`).
public struct EmbeddingRepository {
    /// An active product's text inputs and embedding state.
    public struct Product: Sendable, Equatable {
        public var productID: Int64
        public var name: String
        public var merchant: String?
        public var categoryPath: [String]
        public var color: String?
        public var price: Double?
        public var priceTier: String?
        public var priceTierFixed: Bool
        /// Hash of the text the stored vector was computed from; nil when there is no vector.
        public var textHash: String?
        /// `updated_at` in microseconds: a write applies only while the product is unchanged.
        public var version: Int64
    }

    /// A new text vector for one product.
    public struct Update: Sendable {
        public var productID: Int64
        public var vector: [Float]
        public var textHash: String
        /// The computed price tier (stored unless the import fixed the tier).
        public var priceTier: String?
        /// The `version` the text was built from.
        public var version: Int64

        public init(productID: Int64, vector: [Float], textHash: String, priceTier: String?, version: Int64) {
            self.productID = productID
            self.vector = vector
            self.textHash = textHash
            self.priceTier = priceTier
            self.version = version
        }
    }

    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Active products with ids above `afterID`, in id order, at most `limit` (keyset pagination).
    public func activeProducts(after afterID: Int64 = Int64.min, limit: Int = 10_000) throws -> [Product] {
        try connection.query("""
            SELECT product_id, name, merchant, category_path, color, price, price_tier, price_tier_fixed,
                   CASE WHEN text_embedding IS NULL THEN NULL ELSE text_hash END,
                   (extract(epoch FROM updated_at) * 1000000)::bigint
            FROM products WHERE active AND product_id > $1::bigint ORDER BY product_id LIMIT $2::int
            """, [afterID, limit]).rows.map { r in
            Product(productID: try r.decode(0), name: try r.decode(1), merchant: try r.decodeIfPresent(2),
                    categoryPath: try r.decode(3), color: try r.decodeIfPresent(4), price: try r.decodeIfPresent(5),
                    priceTier: try r.decodeIfPresent(6), priceTierFixed: try r.decode(7), textHash: try r.decodeIfPresent(8),
                    version: try r.decode(9))
        }
    }

    /// Every active product, read page by page.
    public func allActiveProducts(pageSize: Int = 10_000) throws -> [Product] {
        var all: [Product] = []
        while true {
            let page = try activeProducts(after: all.last?.productID ?? Int64.min, limit: pageSize)
            all += page
            if page.count < pageSize { return all }
        }
    }

    /// Writes the vectors, text hashes and tiers of one batch in one transaction: `text_embedding`
    /// and `embedding` both get the text vector (the served vector is the text vector while the item
    /// side is untrained). Products that changed or went inactive since they were read are left
    /// alone (the next run picks them up). Returns how many products were written.
    @discardableResult
    public func write(_ updates: [Update]) throws -> Int {
        guard !updates.isEmpty else { return 0 }
        return try connection.transaction {
            try connection.execute("""
                UPDATE products AS p
                SET text_embedding = u.vector::vector, embedding = u.vector::vector, text_hash = u.hash,
                    price_tier = CASE WHEN p.price_tier_fixed THEN p.price_tier ELSE u.tier END
                FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
                     AS u(product_id, vector, hash, tier, version)
                WHERE p.product_id = u.product_id AND p.active
                  AND (extract(epoch FROM p.updated_at) * 1000000)::bigint = u.version
                """, [PQArray(updates.map(\.productID)),
                      PQArray(updates.map { PQVector($0.vector).postgresText }),
                      PQArray(updates.map(\.textHash)),
                      PQArray(updates.map(\.priceTier)),
                      PQArray(updates.map(\.version))])
        }
    }
}
