import Foundation

/// What the customer's window history holds about one product they touched.
public struct Touch: Sendable, Equatable {
    /// Recency-weighted weights `Σ weight · 2^(−age / half-life)`, half-life 1 day and 7 days.
    public var decayed: Float = 0
    public var decayedWeek: Float = 0
    /// Summed weight and number of events.
    public var total: Float = 0
    public var count: Float = 0
    /// Age in seconds and weight of the most recent touch, and the largest weight of any touch.
    public var lastAge: Float = .infinity
    public var lastWeight: Float = 0
    public var maxWeight: Float = 0
}

/// The customer's side of the features, computed once per request from the window history and the
/// neighbours of the history's products.
public struct RerankContext: Sendable {
    /// Per product the customer touched.
    public let touched: [Int64: Touch]
    /// The touched products, most recently touched first (then ascending id), and each one's position in that order.
    public let recent: [Int64]
    public let recency: [Int64: Int]
    /// Share of the history's events that touch a product touched by another of its events (1 − distinct / events):
    /// how much this customer returns to the same products, the same scale in every shop.
    public let repeatShare: Float
    /// Events in the history.
    public let events: Int
    /// Recency-weighted co-visitation score per neighbour (kind covisit / bought; covisit also with the 7-day
    /// half-life).
    public let covisit: [Int64: Float]
    public let covisitWeek: [Int64: Float]
    public let bought: [Int64: Float]
    /// Per covisit neighbour: its best score from any history product, how many history products list it, and
    /// its score as a neighbour of the most recently touched product.
    public let covisitMax: [Int64: Float]
    public let covisitHits: [Int64: Float]
    public let covisitLast: [Int64: Float]
    /// Per EASE neighbour: EASE's score of the history (the sum of its weights over the distinct products touched), and
    /// the same recency-weighted as `covisit`.
    public let ease: [Int64: Float]
    public let easeDecayed: [Int64: Float]
    /// The neighbour lists of the history's products (best first) of kinds covisit, bought, similar and ease, for the
    /// per-interest candidates.
    public let covisitLists: [Int64: [Neighbor]]
    public let boughtLists: [Int64: [Neighbor]]
    public let similarLists: [Int64: [Neighbor]]
    public let easeLists: [Int64: [Neighbor]]
    /// Share of the history's decayed weight per category and per price tier.
    public let categoryShare: [String: Float]
    public let priceTierShare: [String: Float]

    /// Half-lives of the recency weights: one day, and a week for windows longer than a few days.
    public static let halfLifeSeconds: Float = 86_400
    public static let weekHalfLifeSeconds: Float = 7 * 86_400

    /// - Parameters:
    ///   - history: the customer's interactions inside the window (any order).
    ///   - covisit, bought, similar, ease: neighbours (`product_neighbors`) of the history's products, by product.
    ///   - categories, priceTiers: of the history's products (missing products count as unknown).
    public init(history: [HistoryItem], covisit: [Int64: [Neighbor]], bought: [Int64: [Neighbor]], similar: [Int64: [Neighbor]] = [:],
                ease: [Int64: [Neighbor]] = [:], categories: [Int64: [String]] = [:], priceTiers: [Int64: String] = [:]) {
        var touched: [Int64: Touch] = [:]
        var categoryShare: [String: Float] = [:], priceTierShare: [String: Float] = [:]
        var sum: Float = 0, weekSum: Float = 0
        for h in history {
            let d = h.weight * Self.decay(h.ageSeconds, halfLife: Self.halfLifeSeconds)
            let week = h.weight * Self.decay(h.ageSeconds, halfLife: Self.weekHalfLifeSeconds)
            var t = touched[h.productID, default: Touch()]
            t.decayed += d
            t.decayedWeek += week
            t.total += h.weight
            t.count += 1
            t.maxWeight = max(t.maxWeight, h.weight)
            // The most recent touch; among touches of the same age the heavier one (a basket's strongest event).
            if h.ageSeconds < t.lastAge || (h.ageSeconds == t.lastAge && h.weight > t.lastWeight) {
                t.lastAge = h.ageSeconds
                t.lastWeight = h.weight
            }
            touched[h.productID] = t
            sum += d
            weekSum += week
            for c in Set(categories[h.productID] ?? []) { categoryShare[c, default: 0] += d }
            if let tier = priceTiers[h.productID] { priceTierShare[tier, default: 0] += d }
        }
        if sum > 0 {
            for k in categoryShare.keys { categoryShare[k]! /= sum }
            for k in priceTierShare.keys { priceTierShare[k]! /= sum }
        }
        let recent = touched.sorted { $0.value.lastAge != $1.value.lastAge ? $0.value.lastAge < $1.value.lastAge : $0.key < $1.key }.map(\.key)
        func spread(_ lists: [Int64: [Neighbor]], _ weight: (Touch) -> Float, _ total: Float) -> [Int64: Float] {
            var out: [Int64: Float] = [:]
            guard total > 0 else { return out }
            for product in touched.keys.sorted() {
                let w = weight(touched[product]!) / total
                for n in lists[product] ?? [] { out[n.productID, default: 0] += w * n.score }
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
        var last: [Int64: Float] = [:]
        for n in recent.first.flatMap({ covisit[$0] }) ?? [] { last[n.productID] = n.score }
        covisitMax = best
        covisitHits = hits
        covisitLast = last
        covisitLists = covisit
        boughtLists = bought
        similarLists = similar
        easeLists = ease
        var easeSum: [Int64: Float] = [:]
        for product in touched.keys.sorted() { for n in ease[product] ?? [] { easeSum[n.productID, default: 0] += n.score } }
        self.ease = easeSum
        easeDecayed = spread(ease, \.decayed, sum)
        self.touched = touched
        self.recent = recent
        recency = Dictionary(uniqueKeysWithValues: recent.enumerated().map { ($1, $0) })
        events = history.count
        repeatShare = history.isEmpty ? 0 : 1 - Float(touched.count) / Float(history.count)
        self.covisit = spread(covisit, \.decayed, sum)
        covisitWeek = spread(covisit, \.decayedWeek, weekSum)
        self.bought = spread(bought, \.decayed, sum)
        self.categoryShare = categoryShare
        self.priceTierShare = priceTierShare
    }

    static func decay(_ ageSeconds: Float, halfLife: Float) -> Float { Foundation.exp2(-max(0, ageSeconds) / halfLife) }
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
        "repeat_decayed_7d", "touch_count", "last_touch_weight", "max_touch_weight", "recency_rank",
        "customer_repeat_share", "touched_x_repeat_share", "history_events", "covisit_7d", "covisit_last",
        "ease", "ease_decayed", "source_ease",
    ]
    public static var count: Int { names.count }

    /// Appends the features of `candidate` to `out` (`count` values).
    public static func append(_ candidate: ProductSignals, context: RerankContext, to out: inout [Float]) {
        let id = candidate.productID
        let t = context.touched[id]
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
            context.covisit[id] ?? 0,
            context.covisitMax[id] ?? 0,
            log1p(context.covisitHits[id] ?? 0),
            context.bought[id] ?? 0,
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
            log1p(t?.decayedWeek ?? 0),
            log1p(t?.count ?? 0),
            log1p(t?.lastWeight ?? 0),
            log1p(t?.maxWeight ?? 0),
            context.recency[id].map { 1 / Float(1 + $0) } ?? 0,
            context.repeatShare,
            flag(t != nil) * context.repeatShare,
            log1p(Float(context.events)),
            context.covisitWeek[id] ?? 0,
            context.covisitLast[id] ?? 0,
            context.ease[id] ?? 0,
            context.easeDecayed[id] ?? 0,
            flag(s.contains(.ease)),
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
