/// How many candidates each source contributes and how many positions are re-ranked: configuration with
/// measured defaults (docs/ranking.md), stored with the scorer's parameters.
public struct CandidateSettings: Codable, Sendable, Equatable {
    /// Top N by cosine to the user vector.
    public var similar: Int
    /// Most recent distinct products of the customer's window history.
    public var `repeat`: Int
    /// Best co-visitation neighbours of the whole history (kinds covisit and bought together), by the history's
    /// recency-weighted score.
    public var covisit: Int
    /// Best EASE neighbours (`product_neighbors` kind ease) of the whole history, by EASE's score of the history.
    public var ease: Int
    /// Candidate sources per interest: the `interests` most recently touched distinct products of the history
    /// each add their own `perInterest` best neighbours of each kind (covisit, bought, similar, ease), so a recent
    /// interest that the summed score above or the user vector drowns (one item among many unrelated ones) still
    /// brings its neighbours.
    public var interests: Int
    public var perInterest: Int
    /// Best by trend score and best by 7-day weight (each this many).
    public var popular: Int
    /// Positions re-ranked (K); later positions continue in cosine order.
    public var rerank: Int

    public init(similar: Int = 100, repeat: Int = 50, covisit: Int = 100, ease: Int = 100, interests: Int = 10, perInterest: Int = 20,
                popular: Int = 50, rerank: Int = 200) {
        self.similar = similar
        self.repeat = `repeat`
        self.covisit = covisit
        self.ease = ease
        self.interests = interests
        self.perInterest = perInterest
        self.popular = popular
        self.rerank = rerank
    }

    /// Whether the candidates read item-vector neighbours (`product_neighbors` kind similar).
    public var usesItemNeighbors: Bool { interests > 0 && perInterest > 0 }

    /// Whether the candidates read EASE neighbours (`product_neighbors` kind ease).
    public var usesEASE: Bool { ease > 0 || usesItemNeighbors }

    /// Parameters published before the per-interest or EASE sources decode with none (the candidates they were trained on).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(similar: try c.decode(Int.self, forKey: .similar), repeat: try c.decode(Int.self, forKey: .repeat),
                  covisit: try c.decode(Int.self, forKey: .covisit), ease: try c.decodeIfPresent(Int.self, forKey: .ease) ?? 0,
                  interests: try c.decodeIfPresent(Int.self, forKey: .interests) ?? 0,
                  perInterest: try c.decodeIfPresent(Int.self, forKey: .perInterest) ?? 0,
                  popular: try c.decode(Int.self, forKey: .popular), rerank: try c.decode(Int.self, forKey: .rerank))
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
        // Every (product, source) found, then one entry per product with its sources joined.
        var found: [(productID: Int64, sources: CandidateSources)] = []
        func add(_ ids: some Sequence<Int64>, _ source: CandidateSources) { for id in ids { found.append((id, source)) } }
        add(similar.prefix(settings.similar), .similar)
        add(context.recent.prefix(settings.repeat), .repeat)
        // The best neighbours of the whole history by each kind's score (those without one left out).
        var covisit: [Ranked] = [], bought: [Ranked] = [], ease: [Ranked] = []
        for (id, n) in context.neighbors {
            if let s = n.covisit { covisit.append(Ranked(id: id, score: s)) }
            if let s = n.bought { bought.append(Ranked(id: id, score: s)) }
            if let s = n.ease { ease.append(Ranked(id: id, score: s)) }
        }
        add(Ranked.best(covisit, settings.covisit).lazy.map(\.id), .covisit)
        add(Ranked.best(bought, settings.covisit).lazy.map(\.id), .covisit)
        add(Ranked.best(ease, settings.ease).lazy.map(\.id), .ease)
        let kinds = [context.covisitLists, context.boughtLists, context.similarLists, context.easeLists]
        for id in context.recent.prefix(settings.interests) {
            for lists in kinds { add((lists[id] ?? []).prefix(settings.perInterest).lazy.map(\.productID), .interest) }
        }
        add(trending.prefix(settings.popular), .popular)
        add(popular.prefix(settings.popular), .popular)
        return joined(found)
    }

    /// `merge` with the top by cosine, from a `merge` without it (`similar: []`, the same other inputs): `others` with the
    /// first `limit` of `similar` joined in as source `similar`. For callers that need the other candidates before the top.
    public static func adding(similar: [Int64], limit: Int,
                              to others: [(productID: Int64, sources: CandidateSources)]) -> [(productID: Int64, sources: CandidateSources)] {
        joined(others + similar.prefix(limit).map { (productID: $0, sources: CandidateSources.similar) })
    }

    /// One entry per product, in ascending id, with the sources of all its entries in `found`.
    private static func joined(_ found: [(productID: Int64, sources: CandidateSources)]) -> [(productID: Int64, sources: CandidateSources)] {
        let found = found.sorted { $0.productID < $1.productID }
        var merged: [(productID: Int64, sources: CandidateSources)] = []
        merged.reserveCapacity(found.count)
        for f in found {
            if merged.last?.productID == f.productID { merged[merged.count - 1].sources.formUnion(f.sources) } else { merged.append(f) }
        }
        return merged
    }
}
