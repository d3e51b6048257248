import LibPQ
import TowerRerank

/// What the re-ranked feed needs of one product that is the same for every customer: the attributes the filters
/// test, the product side of the re-ranker's features (`product_trending`, age, category, price tier) and the
/// vector (the cosine of candidates that do not come from the vector search). Kept in `ServingCaches.products`.
struct ProductFacts: Sendable {
    let active: Bool
    let categoryPath: [String]
    let merchant: String?
    let color: String?
    let price: Double?
    let priceTier: String?
    /// `created_at` in Unix seconds.
    let createdAt: Double
    let weight1d: Float
    let weight7d: Float
    let weight30d: Float
    let trendScore: Float
    let vector: [Float]?

    /// The query of the facts of `ids` (`product_id` first, then the columns `decode` reads).
    static func statement(_ ids: [Int64]) -> Statement {
        Statement("""
            SELECT p.product_id, p.active, p.category_path, p.merchant, p.color, p.price, p.price_tier,
                   extract(epoch FROM p.created_at)::float8, coalesce(t.weight_1d, 0), coalesce(t.weight_7d, 0),
                   coalesce(t.weight_30d, 0), coalesce(t.trend_score, 0), p.embedding
            FROM products p LEFT JOIN product_trending t ON t.product_id = p.product_id
            WHERE p.product_id = ANY($1::bigint[])
            """, [PQArray(ids)])
    }

    /// The facts of each row of `statement`'s result, by product id.
    static func decode(_ result: PQResult) throws -> [Int64: ProductFacts] {
        var out: [Int64: ProductFacts] = [:]
        for r in result.rows {
            out[try r.decode(0)] = ProductFacts(
                active: try r.decode(1), categoryPath: try r.decode(2), merchant: try r.decodeIfPresent(3),
                color: try r.decodeIfPresent(4), price: try r.decodeIfPresent(5), priceTier: try r.decodeIfPresent(6),
                createdAt: try r.decode(7), weight1d: try r.decode(8), weight7d: try r.decode(9), weight30d: try r.decode(10),
                trendScore: try r.decode(11), vector: try r.decodeIfPresent(12))
        }
        return out
    }

    /// The re-ranker's view of this product, `now` being the request's time (Unix seconds) as the database tells it.
    func signals(_ productID: Int64, cosine: Float, now: Double) -> ProductSignals {
        ProductSignals(productID: productID, cosine: cosine, weight1d: weight1d, weight7d: weight7d, weight30d: weight30d,
                       trendScore: trendScore, ageDays: Float((now - createdAt) / 86_400), categories: categoryPath,
                       priceTier: priceTier, sources: [])
    }
}

extension RankingFilters {
    /// Whether a product with `facts` passes these filters and can be ranked by a vector ordering: what
    /// `apply(to:)` and `embedding IS NOT NULL` ask of it in SQL (text compared byte for byte, as PostgreSQL's
    /// deterministic collations do; a bound on a missing price never matches).
    func matches(_ id: Int64, _ facts: ProductFacts) -> Bool {
        func same(_ a: String?, _ b: String) -> Bool { a.map { $0.utf8.elementsEqual(b.utf8) } ?? false }
        guard facts.active, facts.vector != nil else { return false }
        guard facts.categoryPath.count >= categoryPrefix.count,
              zip(facts.categoryPath, categoryPrefix).allSatisfy({ same($0, $1) }) else { return false }
        if let merchant, !same(facts.merchant, merchant) { return false }
        if let color, !same(facts.color, color) { return false }
        if let minPrice, !(facts.price.map { $0 >= minPrice } ?? false) { return false }
        if let maxPrice, !(facts.price.map { $0 <= maxPrice } ?? false) { return false }
        if let productIDs, !productIDs.contains(id) { return false }
        return !excludedProductIDs.contains(id)
    }
}
