import LibPQ
import TowerRerank

/// What the re-ranked feed needs of one product that is the same for every customer: the attributes the filters
/// test, the product side of the re-ranker's features (`product_trending`, age, category, price tier) and the
/// vector (the cosine of candidates that do not come from the vector search), and what an answer shows of it besides.
/// Kept in `ServingCaches.products` and the catalog snapshot. A class: a request passes hundreds of them through its
/// dictionaries, and a copy is then one reference count instead of one per string and array.
final class ProductFacts: Sendable {
    let name: String
    let popularity: Double
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

    init(name: String, popularity: Double, active: Bool, categoryPath: [String], merchant: String?, color: String?, price: Double?,
         priceTier: String?, createdAt: Double, weight1d: Float, weight7d: Float, weight30d: Float, trendScore: Float, vector: [Float]?) {
        self.name = name
        self.popularity = popularity
        self.active = active
        self.categoryPath = categoryPath
        self.merchant = merchant
        self.color = color
        self.price = price
        self.priceTier = priceTier
        self.createdAt = createdAt
        self.weight1d = weight1d
        self.weight7d = weight7d
        self.weight30d = weight30d
        self.trendScore = trendScore
        self.vector = vector
    }

    /// Where `columns(vector: true)` puts the vector, counted from its first column.
    static let vectorColumn = 10

    /// The facts' columns over `products p` (`product_trending` read by a subquery), the vector last when asked.
    static func columns(vector: Bool) -> String {
        """
        p.active, p.category_path, p.merchant, p.color, p.price, p.price_tier, extract(epoch FROM p.created_at)::float8,
        (SELECT ARRAY[t.weight_1d, t.weight_7d, t.weight_30d, t.trend_score] FROM product_trending t WHERE t.product_id = p.product_id),
        p.name, p.popularity
        """ + (vector ? ", p.embedding" : "")
    }

    /// The query of the facts of `ids` (`product_id` first, then `columns(vector: true)`).
    static func statement(_ ids: [Int64]) -> Statement {
        Statement("SELECT p.product_id, \(columns(vector: true)) FROM products p WHERE p.product_id = ANY($1::bigint[])",
                  [PQArray(ids)])
    }

    /// The facts of each row of `statement`'s result, by product id.
    static func decode(_ result: PQResult) throws -> [Int64: ProductFacts] {
        var out: [Int64: ProductFacts] = [:]
        for r in result.rows { out[try r.decode(0)] = try ProductFacts(r, from: 1, vector: true) }
        return out
    }

    /// The product as the ranker's answers show it (without its vector).
    func product(_ productID: Int64) -> CatalogProduct {
        CatalogProduct(productID: productID, name: name, merchant: merchant, categoryPath: categoryPath, color: color, price: price,
                       priceTier: priceTier, popularity: popularity, createdAt: createdAt, active: active, vector: nil)
    }

    /// The re-ranker's view of this product, `now` being the request's time (Unix seconds) as the database tells it.
    func signals(_ productID: Int64, cosine: Float, now: Double) -> ProductSignals {
        ProductSignals(productID: productID, cosine: cosine, weight1d: weight1d, weight7d: weight7d, weight30d: weight30d,
                       trendScore: trendScore, ageDays: Float((now - createdAt) / 86_400), categories: categoryPath,
                       priceTier: priceTier, sources: [])
    }
}

extension ProductFacts {
    /// The facts in `columns(vector:)` starting at column `first` of `r`; without the vector column, `vector` is nil
    /// (such facts serve a product whose cosine the database computed, and are never cached).
    convenience init(_ r: PQRow, from first: Int, vector: Bool) throws {
        let trending: [Float] = try r.decodeIfPresent(first + 7) ?? [0, 0, 0, 0]
        self.init(name: try r.decode(first + 8), popularity: try r.decode(first + 9), active: try r.decode(first), categoryPath: try r.decode(first + 1), merchant: try r.decodeIfPresent(first + 2),
                  color: try r.decodeIfPresent(first + 3), price: try r.decodeIfPresent(first + 4),
                  priceTier: try r.decodeIfPresent(first + 5), createdAt: try r.decode(first + 6), weight1d: trending[0],
                  weight7d: trending[1], weight30d: trending[2], trendScore: trending[3],
                  vector: vector ? try r.decodeIfPresent(first + Self.vectorColumn) : nil)
    }
}

extension RankingFilters {
    /// Whether a product with `facts` passes these filters and can be ranked by a vector ordering: what
    /// `apply(to:)` and `embedding IS NOT NULL` ask of it in SQL (text compared byte for byte, as PostgreSQL's
    /// deterministic collations do; a bound on a missing price never matches).
    func matches(_ id: Int64, _ facts: ProductFacts) -> Bool {
        facts.vector != nil && matchesAttributes(id, facts)
    }

    /// `matches` for a product known to have a vector (its facts may come without it).
    func matchesAttributes(_ id: Int64, _ facts: ProductFacts) -> Bool {
        func same(_ a: String?, _ b: String) -> Bool { a.map { $0.utf8.elementsEqual(b.utf8) } ?? false }
        guard facts.active else { return false }
        guard facts.categoryPath.count >= categoryPrefix.count,
              zip(facts.categoryPath, categoryPrefix).allSatisfy({ same($0, $1) }) else { return false }
        if let merchant, !same(facts.merchant, merchant) { return false }
        if let color, !same(facts.color, color) { return false }
        if let minPrice, !(facts.price.map { $0 >= minPrice } ?? false) { return false }
        if let maxPrice, !(facts.price.map { $0 <= maxPrice } ?? false) { return false }
        return matchesIDs(id)
    }

    /// `matchesAttributes` for a product known to be active (the catalog snapshot's, a scanned category's): without an
    /// attribute filter only the allow and exclusion lists decide, and its facts are not read (a cache miss each, on the
    /// scan's hot path).
    func matchesActive(_ id: Int64, _ facts: @autoclosure () -> ProductFacts) -> Bool {
        narrowsCandidates ? matchesAttributes(id, facts()) : matchesIDs(id)
    }

    /// The allow and exclusion lists.
    private func matchesIDs(_ id: Int64) -> Bool {
        if let productIDs, !productIDs.contains(id) { return false }
        return !excludedProductIDs.contains(id)
    }
}
