import LibPQ
public import TowerRerank

/// A product with a model's score, for the lists that are not vector orderings (neighbours, trending, recent).
public struct ScoredProduct: Sendable, Equatable {
    public let productID: Int64
    /// Neighbours: the table's score in (0, 1]. Trending: the trend score. Recently viewed: Unix seconds.
    public let score: Double

    public init(productID: Int64, score: Double) {
        self.productID = productID
        self.score = score
    }
}

/// A product attribute trending facets are counted over.
public enum FacetAttribute: String, Sendable, CaseIterable {
    /// The top-level category (first element of the category path).
    case category
    case merchant
    case color

    var sql: String {
        switch self {
        case .category: return "p.category_path[1]"
        case .merchant: return "p.merchant"
        case .color: return "p.color"
        }
    }
}

/// One trending facet value and the summed trend score of its products.
public struct FacetScore: Sendable, Equatable {
    public let value: String
    public let score: Double

    public init(value: String, score: Double) {
        self.value = value
        self.score = score
    }
}

extension Ranker {
    /// The stored products among `ids`, in the order of `ids` (unknown ids left out). Vectors are not read.
    public func products(_ ids: [Int64]) throws -> [CatalogProduct] {
        guard !ids.isEmpty else { return [] }
        let rows = try read { session in
            try session.finalQuery("""
                SELECT product_id, name, merchant, category_path, color, price, price_tier, popularity,
                       extract(epoch FROM created_at)::float8, active
                FROM products WHERE product_id = ANY($1::bigint[])
                """, [PQArray(ids)]).rows.map { row in
                CatalogProduct(productID: try row.decode(0), name: try row.decode(1), merchant: try row.decodeIfPresent(2),
                               categoryPath: try row.decode(3), color: try row.decodeIfPresent(4), price: try row.decodeIfPresent(5),
                               priceTier: try row.decodeIfPresent(6), popularity: try row.decode(7), createdAt: try row.decode(8),
                               active: try row.decode(9), vector: nil)
            }
        }
        let byID = Dictionary(rows.map { ($0.productID, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byID[$0] }
    }

    /// The products among `ids` in the order of `ids` (unknown ids left out), without vectors, as the catalog snapshot of the
    /// re-ranked feed holds them (at most `servingCacheTTL` old, like the feed's own filters); those it does not hold are
    /// read. For showing a feed's page: `products` reads every one fresh.
    public func catalogProducts(_ ids: [Int64]) throws -> [CatalogProduct] {
        let snapshot = caches.catalog.current()
        var byID: [Int64: CatalogProduct] = [:]
        for id in ids { byID[id] = snapshot?.product(id) }
        for p in try products(ids.filter { byID[$0] == nil }) { byID[p.productID] = p }  // no read when none is missing
        return ids.compactMap { byID[$0] }
    }

    /// `product`'s neighbours of `kind` (`product_neighbors`), best first, under `filters`.
    /// Throws `RankingError.productNotFound` for an unknown product; an empty list when it has no neighbours yet.
    public func neighbors(of product: Int64, kind: NeighborKind, filters: RankingFilters = .none, limit: Int = 20) throws -> [ScoredProduct] {
        try validateList(limit: limit, filters: filters)
        return try read { session in
            var sql = SQLBuilder()
            filters.apply(to: &sql)
            sql.require("n.product_id = \(sql.bind(product))")
            sql.require("n.kind = \(sql.bind(kind.rawValue))")
            let results = try session.batch([
                Statement("SELECT 1 FROM products WHERE product_id = $1", [product]),
                Statement("""
                    SELECT n.neighbor_id, n.score::float8 FROM product_neighbors n JOIN products p ON p.product_id = n.neighbor_id
                    \(sql.whereClause) ORDER BY n.score DESC, n.neighbor_id LIMIT \(sql.bind(limit))
                    """, sql.parameters),
            ], last: true)
            guard results[0].count > 0 else { throw RankingError.productNotFound(product) }
            return try Self.scored(results[1])
        }
    }

    /// The products trending most (`product_trending.trend_score`, highest first) under `filters`.
    public func trending(filters: RankingFilters = .none, limit: Int = 20) throws -> [ScoredProduct] {
        try validateList(limit: limit, filters: filters)
        return try read { session in
            var sql = SQLBuilder()
            filters.apply(to: &sql)
            return try scored(session, """
                SELECT t.product_id, t.trend_score::float8 FROM product_trending t JOIN products p ON p.product_id = t.product_id
                \(sql.whereClause) ORDER BY t.trend_score DESC, t.product_id LIMIT \(sql.bind(limit))
                """, sql)
        }
    }

    /// The values of `attribute` whose products trend most (summed positive trend scores), under `filters`.
    public func trendingFacets(_ attribute: FacetAttribute, filters: RankingFilters = .none, limit: Int = 20) throws -> [FacetScore] {
        try validateList(limit: limit, filters: filters)
        return try read { session in
            var sql = SQLBuilder()
            filters.apply(to: &sql)
            sql.require("\(attribute.sql) IS NOT NULL")
            sql.require("t.trend_score > 0")
            return try session.finalQuery("""
                SELECT \(attribute.sql), sum(t.trend_score)::float8 AS s FROM product_trending t
                JOIN products p ON p.product_id = t.product_id \(sql.whereClause)
                GROUP BY 1 ORDER BY s DESC, 1 LIMIT \(sql.bind(limit))
                """, sql.parameters).rows.map { FacetScore(value: try $0.decode(0), score: try $0.decode(1)) }
        }
    }

    /// The products `customer` interacted with most recently (any event in the window), latest first, each once;
    /// the score is the last interaction's Unix time.
    public func recentlyViewed(customer: Int64, filters: RankingFilters = .none, limit: Int = 20) throws -> [ScoredProduct] {
        try validateList(limit: limit, filters: filters)
        return try read { session in
            var sql = SQLBuilder()
            filters.apply(to: &sql)
            let customerParameter = sql.bind(customer)
            return try scored(session, """
                SELECT p.product_id, r.last FROM (
                    SELECT product_id, extract(epoch FROM max(occurred_at))::float8 AS last
                    FROM interactions WHERE customer_id = \(customerParameter) GROUP BY product_id
                ) r JOIN products p ON p.product_id = r.product_id
                \(sql.whereClause) ORDER BY r.last DESC, p.product_id LIMIT \(sql.bind(limit))
                """, sql)
        }
    }

    private func validateList(limit: Int, filters: RankingFilters) throws {
        let allowed = 1...max(1, configuration.maxPerPage)
        guard allowed.contains(limit) else { throw RankingError.invalidPerPage(limit, allowed: allowed) }
        try filters.validate()
    }

    /// A list read as the request's only statement.
    private func scored(_ session: ReadSession, _ text: String, _ sql: SQLBuilder) throws -> [ScoredProduct] {
        try Self.scored(session.finalQuery(text, sql.parameters))
    }

    private static func scored(_ result: PQResult) throws -> [ScoredProduct] {
        try result.rows.map { ScoredProduct(productID: try $0.decode(0), score: try $0.decode(1)) }
    }
}
