import Foundation
import TowerRerank

/// The two-stage ranking offline: what `tower train` writes to PostgreSQL (co-visitation neighbours, trending)
/// fitted in memory on the events before a time, and the candidates and features of one event built with
/// TowerRerank's code, exactly as `TowerRanking` serves them.
public struct TwoStage: Sendable {
    public let catalog: CatalogVectors
    public let covisit: [Int64: [Neighbor]]
    public let bought: [Int64: [Neighbor]]
    /// Item-vector neighbours (kind similar), when the settings ask for per-interest candidates.
    public let similar: [Int64: [Neighbor]]
    /// EASE neighbours (kind ease), when the settings read them.
    public let ease: [Int64: [Neighbor]]
    /// `product_trending` per catalog row (nil: no events in 30 days).
    let trending: [TrendingRow?]
    /// Active products by trend score and by 7-day weight, best first (ties by id).
    let trendingList: [Int64]
    let popularList: [Int64]
    public let settings: CandidateSettings

    /// Fits the tables on the events of `log` before `before` (µs); `typeWeight` per log type index; `items` ranks
    /// the served item vectors (the similar neighbours).
    public init(log: EventLog, catalog: CatalogVectors, items: CatalogRanker, typeWeight: [Float], before: Int64,
                boughtThreshold: Float, settings: CandidateSettings) {
        let used = (0..<log.count).filter { log.times[$0] < before }
        let events = used.map {
            CoVisitEvent(customerID: log.customers[$0], productID: catalog.productIDs[Int(log.products[$0])],
                         weight: typeWeight[Int(log.types[$0])])
        }
        covisit = CoVisitation.neighbors(of: events, kind: .covisit, boughtThreshold: boughtThreshold)
        bought = CoVisitation.neighbors(of: events, kind: .bought, boughtThreshold: boughtThreshold)
        ease = settings.usesEASE ? EASENeighbors.neighbors(of: events) : [:]
        // As served: neighbours of the products with events (which rows are computed, not what they hold, so no leak).
        similar = settings.usesItemNeighbors
            ? ItemNeighbors.nearest(items, productIDs: catalog.productIDs, rows: Set(log.products.map { Int($0) }).sorted()) : [:]
        let anchor = used.last.map { Double(log.times[$0]) * 1e-6 } ?? 0
        let rows = Trending.rows(of: used.map { (catalog.productIDs[Int(log.products[$0])], typeWeight[Int(log.types[$0])],
                                                  Double(log.times[$0]) * 1e-6) }, anchor: anchor)
        trending = catalog.productIDs.map { rows[$0] }
        let active = rows.filter { catalog.index(of: $0.key).map { catalog.active[Int($0)] } ?? false }
        func best(_ key: (TrendingRow) -> Float) -> [Int64] {
            active.sorted { key($0.value) != key($1.value) ? key($0.value) > key($1.value) : $0.key < $1.key }
                .prefix(settings.popular).map(\.key)
        }
        trendingList = best(\.trendScore)
        popularList = best(\.weight7d)
        self.catalog = catalog
        self.settings = settings
    }

    /// The customer's window history at `event` as the serving path reads it.
    public func history(of event: Int, log: EventLog, typeWeight: [Float]) -> [HistoryItem] {
        log.history(of: event).map { s in
            let h = log.event(atSlot: s)
            return HistoryItem(productID: catalog.productIDs[Int(log.products[h])], weight: typeWeight[Int(log.types[h])],
                               ageSeconds: Float(log.times[event] - log.times[h]) * 1e-6)
        }
    }

    /// The context and the active candidates (ascending id) with their signals, from the user's cosine row over
    /// the catalog (served vectors).
    public func candidates(history: [HistoryItem], cosines: UnsafeBufferPointer<Float>,
                           ranker: CatalogRanker) -> (context: RerankContext, signals: [ProductSignals]) {
        let touched = Set(history.map(\.productID))
        func lists(_ all: [Int64: [Neighbor]]) -> [Int64: [Neighbor]] {
            Dictionary(uniqueKeysWithValues: touched.compactMap { id in all[id].map { (id, $0) } })
        }
        var categories: [Int64: [String]] = [:], tiers: [Int64: String] = [:]
        for id in touched {
            guard let a = catalog.index(of: id).map({ catalog.attributes[Int($0)] }) else { continue }
            categories[id] = a.categories
            tiers[id] = a.priceTier
        }
        let context = RerankContext(history: history, covisit: lists(covisit), bought: lists(bought), similar: lists(similar), ease: lists(ease),
                                    categories: categories, priceTiers: tiers)
        let similar = ranker.best(settings.similar, in: cosines).map { catalog.productIDs[Int($0)] }
        let merged = RerankCandidates.merge(similar: similar, history: history, context: context, trending: trendingList,
                                            popular: popularList, settings: settings)
        var signals: [ProductSignals] = []
        signals.reserveCapacity(merged.count)
        for m in merged {
            guard let row = catalog.index(of: m.productID).map(Int.init), catalog.active[row] else { continue }
            let t = trending[row]
            signals.append(ProductSignals(productID: m.productID, cosine: cosines[row], weight1d: t?.weight1d ?? 0,
                                          weight7d: t?.weight7d ?? 0, weight30d: t?.weight30d ?? 0,
                                          trendScore: t?.trendScore ?? 0, categories: catalog.attributes[row].categories,
                                          priceTier: catalog.attributes[row].priceTier, sources: m.sources))
        }
        return (context, signals)
    }
}
