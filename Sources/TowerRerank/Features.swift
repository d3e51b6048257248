import Foundation

/// The customer's side of the features, computed once per request from the window history and the
/// neighbours of the history's products.
public struct RerankContext: Sendable {
    /// Per product the customer touched: recency-weighted weight (half-life 1 day), summed weight, and the
    /// age in seconds of the most recent touch.
    public let touched: [Int64: (decayed: Float, total: Float, lastAge: Float)]
    /// Recency-weighted co-visitation score per neighbour (kind covisit / bought).
    public let covisit: [Int64: Float]
    public let bought: [Int64: Float]
    /// Per covisit neighbour: its best score from any history product, and how many history products list it.
    public let covisitMax: [Int64: Float]
    public let covisitHits: [Int64: Float]
    /// The neighbour lists of the history's products (best first) of kinds covisit, bought and similar, for the
    /// per-interest candidates.
    public let covisitLists: [Int64: [Neighbor]]
    public let boughtLists: [Int64: [Neighbor]]
    public let similarLists: [Int64: [Neighbor]]
    /// Share of the history's decayed weight per category and per price tier.
    public let categoryShare: [String: Float]
    public let priceTierShare: [String: Float]

    /// Half-life of the recency weights.
    public static let halfLifeSeconds: Float = 86_400

    /// - Parameters:
    ///   - history: the customer's interactions inside the window (any order).
    ///   - covisit, bought, similar: neighbours (`product_neighbors`) of the history's products, by product.
    ///   - categories, priceTiers: of the history's products (missing products count as unknown).
    public init(history: [HistoryItem], covisit: [Int64: [Neighbor]], bought: [Int64: [Neighbor]], similar: [Int64: [Neighbor]] = [:],
                categories: [Int64: [String]] = [:], priceTiers: [Int64: String] = [:]) {
        var touched: [Int64: (decayed: Float, total: Float, lastAge: Float)] = [:]
        var categoryShare: [String: Float] = [:], priceTierShare: [String: Float] = [:]
        var sum: Float = 0
        for h in history {
            let d = h.weight * Self.decay(h.ageSeconds)
            var t = touched[h.productID, default: (0, 0, .infinity)]
            t.decayed += d
            t.total += h.weight
            t.lastAge = min(t.lastAge, h.ageSeconds)
            touched[h.productID] = t
            sum += d
            for c in Set(categories[h.productID] ?? []) { categoryShare[c, default: 0] += d }
            if let tier = priceTiers[h.productID] { priceTierShare[tier, default: 0] += d }
        }
        if sum > 0 {
            for k in categoryShare.keys { categoryShare[k]! /= sum }
            for k in priceTierShare.keys { priceTierShare[k]! /= sum }
        }
        func spread(_ lists: [Int64: [Neighbor]]) -> [Int64: Float] {
            var out: [Int64: Float] = [:]
            guard sum > 0 else { return out }
            for product in touched.keys.sorted() {
                let t = touched[product]!
                for n in lists[product] ?? [] { out[n.productID, default: 0] += t.decayed / sum * n.score }
            }
            return out
        }
        var best: [Int64: Float] = [:], hits: [Int64: Float] = [:]
        for product in touched.keys {
            for n in covisit[product] ?? [] {
                best[n.productID] = max(best[n.productID] ?? 0, n.score)
                hits[n.productID, default: 0] += 1
            }
        }
        covisitMax = best
        covisitHits = hits
        covisitLists = covisit
        boughtLists = bought
        similarLists = similar
        self.touched = touched
        self.covisit = spread(covisit)
        self.bought = spread(bought)
        self.categoryShare = categoryShare
        self.priceTierShare = priceTierShare
    }

    static func decay(_ ageSeconds: Float) -> Float { Foundation.exp2(-max(0, ageSeconds) / halfLifeSeconds) }
}

/// The features of one (customer, candidate) pair: the one definition shared by `tower train`,
/// `tower evaluate` and the serving path. None looks past the request time: every input is a state as of then.
public enum RerankFeatures {
    /// Feature names in vector order (stored with the parameters and checked on load).
    public static let names = [
        "cosine", "repeat_decayed", "repeat_total", "touched", "hours_since_touch",
        "covisit", "covisit_max", "covisit_hits", "bought", "popularity_1d", "popularity_7d", "popularity_30d", "trend",
        "category_affinity", "price_tier_affinity", "age_known", "age_days",
        "source_similar", "source_repeat", "source_covisit", "source_popular",
    ]
    public static var count: Int { names.count }

    /// Appends the features of `candidate` to `out` (`count` values).
    public static func append(_ candidate: ProductSignals, context: RerankContext, to out: inout [Float]) {
        let t = context.touched[candidate.productID]
        var category: Float = 0
        for c in Set(candidate.categories) { category = max(category, context.categoryShare[c] ?? 0) }
        let s = candidate.sources
        func flag(_ b: Bool) -> Float { b ? 1 : 0 }
        out += [
            candidate.cosine,
            log1p(t?.decayed ?? 0),
            log1p(t?.total ?? 0),
            flag(t != nil),
            t.map { log1p($0.lastAge / 3600) } ?? 0,
            context.covisit[candidate.productID] ?? 0,
            context.covisitMax[candidate.productID] ?? 0,
            log1p(context.covisitHits[candidate.productID] ?? 0),
            context.bought[candidate.productID] ?? 0,
            log1p(max(0, candidate.weight1d)),
            log1p(max(0, candidate.weight7d)),
            log1p(max(0, candidate.weight30d)),
            candidate.trendScore >= 0 ? log1p(candidate.trendScore) : -log1p(-candidate.trendScore),
            category,
            candidate.priceTier.flatMap { context.priceTierShare[$0] } ?? 0,
            flag(candidate.ageDays != nil),
            candidate.ageDays.map { log1p(max(0, $0)) } ?? 0,
            flag(s.contains(.similar)), flag(s.contains(.repeat)), flag(!s.isDisjoint(with: [.covisit, .interest])),
            flag(s.contains(.popular)),
        ]
    }

    /// The feature matrix of `candidates`, row-major (`candidates.count × count`).
    public static func matrix(_ candidates: [ProductSignals], context: RerankContext) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(candidates.count * count)
        for c in candidates { append(c, context: context, to: &out) }
        return out
    }
}
