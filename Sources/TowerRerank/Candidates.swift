/// How many candidates each source contributes and how many positions are re-ranked: configuration with
/// measured defaults (docs/ranking.md), stored with the scorer's parameters.
public struct CandidateSettings: Codable, Sendable, Equatable {
    /// Top N by cosine to the user vector.
    public var similar: Int
    /// Most recent distinct products of the customer's window history.
    public var `repeat`: Int
    /// Best co-visitation neighbours of the history (kinds covisit and bought together).
    public var covisit: Int
    /// Best by trend score and best by 7-day weight (each this many).
    public var popular: Int
    /// Positions re-ranked (K); later positions continue in cosine order.
    public var rerank: Int

    public init(similar: Int = 200, repeat: Int = 50, covisit: Int = 100, popular: Int = 50, rerank: Int = 200) {
        self.similar = similar
        self.repeat = `repeat`
        self.covisit = covisit
        self.popular = popular
        self.rerank = rerank
    }
}

/// Merges the candidate sources into one de-duplicated list.
public enum RerankCandidates {
    /// Candidates in ascending product id, with their sources.
    /// - Parameters:
    ///   - similar: the top products by cosine, best first (only the first `settings.similar` are used).
    ///   - history: the customer's window history.
    ///   - context: built from that history (its co-visitation scores choose the neighbours).
    ///   - trending, popular: product ids best first (`product_trending` by trend score / by 7-day weight).
    public static func merge(similar: [Int64], history: [HistoryItem], context: RerankContext,
                             trending: [Int64], popular: [Int64], settings: CandidateSettings) -> [(productID: Int64, sources: CandidateSources)] {
        var sources: [Int64: CandidateSources] = [:]
        for id in similar.prefix(settings.similar) { sources[id, default: []].insert(.similar) }
        var recent: [(Int64, Float)] = []
        for (id, t) in context.touched { recent.append((id, t.lastAge)) }
        recent.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        for (id, _) in recent.prefix(settings.repeat) { sources[id, default: []].insert(.repeat) }
        for id in best(context.covisit, settings.covisit) + best(context.bought, settings.covisit) {
            sources[id, default: []].insert(.covisit)
        }
        for id in trending.prefix(settings.popular) + popular.prefix(settings.popular) { sources[id, default: []].insert(.popular) }
        return sources.map { (productID: $0.key, sources: $0.value) }.sorted { $0.productID < $1.productID }
    }

    /// The `k` best keys by score (then ascending id).
    static func best(_ scores: [Int64: Float], _ k: Int) -> [Int64] {
        scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(k).map(\.key)
    }
}
