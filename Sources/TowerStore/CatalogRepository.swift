import LibPQ

/// Write access to the catalog: upserts products by id.
public struct CatalogRepository {
    /// What an upsert did, per distinct product id.
    public struct UpsertCounts: Equatable, Sendable {
        public var inserted = 0
        public var updated = 0
        /// Products whose stored fields already equalled the input (not rewritten).
        public var unchanged = 0

        public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
            self.inserted = inserted
            self.updated = updated
            self.unchanged = unchanged
        }

        public static func + (a: Self, b: Self) -> Self {
            Self(inserted: a.inserted + b.inserted, updated: a.updated + b.updated, unchanged: a.unchanged + b.unchanged)
        }
    }

    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Upserts `products` in one transaction: COPY into a session temp table, then one
    /// `INSERT … ON CONFLICT DO UPDATE`. When an id repeats, the last record wins.
    ///
    /// Field rules (see `ProductRecord`): name, merchant, categories, color and price are replaced;
    /// a missing `created_at` or `active` keeps the stored value (new products: now, active);
    /// a given `price_tier` / `popularity` is stored and marked fixed, a missing one un-fixes it and keeps
    /// the stored value until Tower recomputes it. Rows whose fields do not change are not rewritten.
    @discardableResult
    public func upsert(_ products: [ProductRecord]) throws -> UpsertCounts {
        guard !products.isEmpty else { return UpsertCounts() }
        return try connection.transaction {
            try connection.execute("""
                CREATE TEMP TABLE IF NOT EXISTS product_import (
                    seq int NOT NULL, product_id bigint NOT NULL, name text NOT NULL, merchant text,
                    category_path text[] NOT NULL, color text, price double precision, created_at timestamptz,
                    price_tier text, popularity double precision, active boolean
                ) ON COMMIT DELETE ROWS
                """)
            try connection.copyIn("""
                COPY product_import (seq, product_id, name, merchant, category_path, color, price, created_at,
                                     price_tier, popularity, active) FROM STDIN
                """) { write in
                for (seq, p) in products.enumerated() {
                    try write(CopyText.row([seq, p.productID, p.name, p.merchant, PQArray(p.categories), p.color,
                                            p.price, p.createdAt, p.priceTier, p.popularity, p.active]))
                }
            }
            let row = try connection.query(Self.upsertSQL)[0]
            let distinct = try row.decode(0, as: Int.self), inserted = try row.decode(1, as: Int.self)
            let updated = try row.decode(2, as: Int.self)
            return UpsertCounts(inserted: inserted, updated: updated, unchanged: distinct - inserted - updated)
        }
    }

    private static let upsertSQL = """
        WITH latest AS (
            SELECT DISTINCT ON (product_id) * FROM product_import ORDER BY product_id, seq DESC
        ), merged AS (
            SELECT l.product_id, l.name, l.merchant, l.category_path, l.color, l.price,
                   coalesce(l.created_at, p.created_at, now()) AS created_at,
                   coalesce(l.price_tier, p.price_tier) AS price_tier,
                   l.price_tier IS NOT NULL AS price_tier_fixed,
                   coalesce(l.popularity, p.popularity, 0) AS popularity,
                   l.popularity IS NOT NULL AS popularity_fixed,
                   coalesce(l.active, p.active, true) AS active
            FROM latest l LEFT JOIN products p ON p.product_id = l.product_id
        ), upserted AS (
            INSERT INTO products AS p (product_id, name, merchant, category_path, color, price, created_at,
                                       price_tier, price_tier_fixed, popularity, popularity_fixed, active)
            SELECT * FROM merged ORDER BY product_id
            ON CONFLICT (product_id) DO UPDATE SET
                name = EXCLUDED.name, merchant = EXCLUDED.merchant, category_path = EXCLUDED.category_path,
                color = EXCLUDED.color, price = EXCLUDED.price, created_at = EXCLUDED.created_at,
                price_tier = EXCLUDED.price_tier, price_tier_fixed = EXCLUDED.price_tier_fixed,
                popularity = EXCLUDED.popularity, popularity_fixed = EXCLUDED.popularity_fixed,
                active = EXCLUDED.active, updated_at = now()
            WHERE (p.name, p.merchant, p.category_path, p.color, p.price, p.created_at, p.price_tier,
                   p.price_tier_fixed, p.popularity, p.popularity_fixed, p.active)
                  IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.merchant, EXCLUDED.category_path, EXCLUDED.color, EXCLUDED.price,
                   EXCLUDED.created_at, EXCLUDED.price_tier, EXCLUDED.price_tier_fixed, EXCLUDED.popularity,
                   EXCLUDED.popularity_fixed, EXCLUDED.active)
            RETURNING (xmax = 0) AS inserted
        )
        SELECT (SELECT count(*) FROM latest),
               count(*) FILTER (WHERE inserted),
               count(*) FILTER (WHERE NOT inserted)
        FROM upserted
        """
}
