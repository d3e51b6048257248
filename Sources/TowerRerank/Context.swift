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

/// What the neighbour lists of the history's products (kinds covisit, bought and ease) say about one product they list.
public struct NeighborScores: Sendable, Equatable {
    /// Recency-weighted co-visitation score (kind covisit / bought); nil when no list of the kind holds the product or
    /// the history's decayed weight is 0. `covisitWeek` is `covisit` with the 7-day half-life (0 when nil).
    public var covisit: Float?
    public var covisitWeek: Float = 0
    public var bought: Float?
    /// Its best covisit score from any history product, how many history products list it (kind covisit), and its
    /// score as a neighbour of the most recently touched product.
    public var covisitMax: Float = 0
    public var covisitHits: Float = 0
    public var covisitLast: Float = 0
    /// EASE's score of the history (the sum of its weights over the distinct products touched; nil when no EASE list
    /// holds the product), and the same recency-weighted as `covisit`.
    public var ease: Float?
    public var easeDecayed: Float = 0
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
    /// Per product listed as a neighbour of a history product: its scores, all found with one lookup.
    public let neighbors: [Int64: NeighborScores]
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
        // One pass over the history's products in ascending id (the order of every sum), one lookup per listed neighbour.
        var neighbors: [Int64: NeighborScores] = [:]  // room for every listed neighbour: no rehash while filling
        neighbors.reserveCapacity(touched.keys.reduce(0) { n, p in n + (covisit[p]?.count ?? 0) + (bought[p]?.count ?? 0) + (ease[p]?.count ?? 0) })
        func add(_ lists: [Int64: [Neighbor]], of product: Int64, _ update: (inout NeighborScores, Float) -> Void) {
            for n in lists[product] ?? [] { update(&neighbors[n.productID, default: NeighborScores()], n.score) }
        }
        for product in touched.keys.sorted() {
            let t = touched[product]!, isLast = product == recent.first
            let w = t.decayed / sum, week = t.decayedWeek / weekSum  // used only where the sum is positive
            add(covisit, of: product) { s, score in
                if sum > 0 { s.covisit = (s.covisit ?? 0) + w * score }
                if weekSum > 0 { s.covisitWeek += week * score }
                s.covisitMax = max(s.covisitMax, score)
                s.covisitHits += 1
                if isLast { s.covisitLast = score }
            }
            add(bought, of: product) { s, score in if sum > 0 { s.bought = (s.bought ?? 0) + w * score } }
            add(ease, of: product) { s, score in
                s.ease = (s.ease ?? 0) + score
                if sum > 0 { s.easeDecayed += w * score }
            }
        }
        self.neighbors = neighbors
        covisitLists = covisit
        boughtLists = bought
        similarLists = similar
        easeLists = ease
        self.touched = touched
        self.recent = recent
        recency = Dictionary(uniqueKeysWithValues: recent.enumerated().map { ($1, $0) })
        events = history.count
        repeatShare = history.isEmpty ? 0 : 1 - Float(touched.count) / Float(history.count)
        self.categoryShare = categoryShare
        self.priceTierShare = priceTierShare
    }

    static func decay(_ ageSeconds: Float, halfLife: Float) -> Float { Foundation.exp2(-max(0, ageSeconds) / halfLife) }
}
