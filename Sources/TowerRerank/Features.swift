import Foundation

/// The features of one (customer, candidate) pair: the one definition shared by `tower train`,
/// `tower evaluate` and the serving path. None looks past the request time: every input is a state as of then.
public enum RerankFeatures {
    /// Feature names in vector order (stored with the parameters and checked on load).
    public static let names = [
        "cosine", "repeat_decayed", "repeat_total", "touched", "hours_since_touch",
        "covisit", "covisit_max", "covisit_hits", "bought", "popularity_1d", "popularity_7d", "popularity_30d", "trend",
        "category_affinity", "price_tier_affinity", "age_known", "age_days",
        "source_similar", "source_repeat", "source_covisit", "source_popular",
        "repeat_decayed_7d", "touch_count", "last_touch_weight", "max_touch_weight", "recency_rank",
        "customer_repeat_share", "touched_x_repeat_share", "history_events", "covisit_7d", "covisit_last",
        "ease", "ease_decayed", "source_ease",
    ]
    public static let count = names.count

    /// Appends the features of `candidate` to `out` (`count` values).
    public static func append(_ candidate: ProductSignals, context: RerankContext, to out: inout [Float]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        out.withUnsafeMutableBufferPointer { write(candidate, context: context, to: UnsafeMutableBufferPointer(rebasing: $0[start...])) }
    }

    /// The feature matrix of `candidates`, row-major (`candidates.count × count`).
    public static func matrix(_ candidates: [ProductSignals], context: RerankContext) -> [Float] {
        [Float](unsafeUninitializedCapacity: candidates.count * count) { out, initialized in
            for r in candidates.indices {
                write(candidates[r], context: context, to: UnsafeMutableBufferPointer(rebasing: out[r * count ..< (r + 1) * count]))
            }
            initialized = candidates.count * count
        }
    }

    /// Writes the features of `candidate` to `row` (`count` values): one lookup of the candidate in the touched products
    /// and one in the neighbours.
    static func write(_ candidate: ProductSignals, context: RerankContext, to row: UnsafeMutableBufferPointer<Float>) {
        let id = candidate.productID
        let t = context.touched[id], n = context.neighbors[id]
        var category: Float = 0
        for c in candidate.categories { category = max(category, context.categoryShare[c] ?? 0) }
        let s = candidate.sources
        func flag(_ b: Bool) -> Float { b ? 1 : 0 }
        var i = 0
        func put(_ value: Float) {
            row[i] = value
            i += 1
        }
        put(candidate.cosine)
        put(log1p(t?.decayed ?? 0))
        put(log1p(t?.total ?? 0))
        put(flag(t != nil))
        put(t.map { log1p($0.lastAge / 3600) } ?? 0)
        put(n?.covisit ?? 0)
        put(n?.covisitMax ?? 0)
        put(log1p(n?.covisitHits ?? 0))
        put(n?.bought ?? 0)
        put(log1p(max(0, candidate.weight1d)))
        put(log1p(max(0, candidate.weight7d)))
        put(log1p(max(0, candidate.weight30d)))
        put(candidate.trendScore >= 0 ? log1p(candidate.trendScore) : -log1p(-candidate.trendScore))
        put(category)
        put(candidate.priceTier.flatMap { context.priceTierShare[$0] } ?? 0)
        put(flag(candidate.ageDays != nil))
        put(candidate.ageDays.map { log1p(max(0, $0)) } ?? 0)
        put(flag(s.contains(.similar)))
        put(flag(s.contains(.repeat)))
        put(flag(!s.isDisjoint(with: [.covisit, .interest])))
        put(flag(s.contains(.popular)))
        put(log1p(t?.decayedWeek ?? 0))
        put(log1p(t?.count ?? 0))
        put(log1p(t?.lastWeight ?? 0))
        put(log1p(t?.maxWeight ?? 0))
        put(t == nil ? 0 : context.recency[id].map { 1 / Float(1 + $0) } ?? 0)  // `recency` holds the touched products
        put(context.repeatShare)
        put(flag(t != nil) * context.repeatShare)
        put(log1p(Float(context.events)))
        put(n?.covisitWeek ?? 0)
        put(n?.covisitLast ?? 0)
        put(n?.ease ?? 0)
        put(n?.easeDecayed ?? 0)
        put(flag(s.contains(.ease)))
        assert(i == count, "one value per name")
    }

    /// `Foundation.log1p`, without the call for ±0 (its value there): most candidates have no touch and no neighbour.
    static func log1p(_ x: Float) -> Float { x == 0 ? x : Foundation.log1p(x) }
}
