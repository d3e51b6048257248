import Foundation
import TowerMath

/// The metrics of one model on one set of test events.
public struct ModelEvaluation: Sendable {
    public var name: String
    public var metrics: RankingMetrics
    /// Active products ranked (the denominator of coverage).
    public var candidates: Int

    /// The metrics of the `--json` output, by key.
    public var summary: [(key: String, value: Double)] {
        [("recall@10", metrics.recall(at: 10)), ("recall@20", metrics.recall(at: 20)), ("ndcg@10", metrics.ndcg(at: 10)),
         ("ndcg@20", metrics.ndcg(at: 20)), ("mrr", metrics.mrr), ("coverage@20", metrics.coverage(candidates: candidates))]
    }
}

/// The models scored on one set of test events.
public struct EvaluationSet: Sendable {
    public var testEvents: Int
    /// Test events whose history was empty (every model ranks them by popularity).
    public var withoutHistory: Int
    public var models: [ModelEvaluation]
}

/// Offline evaluation under the Tower protocol (docs/model.md):
///
/// - test events: those at or after `splitAt`; history: the protocol history (`EventLog.history(of:)`), over
///   the whole log, so test-period events are history for later test events as the daemon would have them;
/// - every active product is ranked for each test event; ties rank by product id ascending;
/// - a test event with an empty history is ranked by popularity for every model (as the ranking library does
///   for a user without a vector);
/// - `popularity`: event-weighted counts of train-period events (before `splitAt`);
/// - `default`: the untrained user tower; `history_mean`: the plain mean of the history's product vectors;
///   both over the products' text vectors. `tower`: the given model over its own item vectors (text vector
///   plus learned residual, as served).
public struct Evaluator {
    public let log: EventLog
    public let catalog: CatalogVectors
    public let splitAt: Int64
    public let eventWeights: [String: Float]

    public init(log: EventLog, catalog: CatalogVectors, splitAt: Int64, eventWeights: [String: Float]) {
        self.log = log
        self.catalog = catalog
        self.splitAt = splitAt
        self.eventWeights = eventWeights
    }

    /// Test events in log order.
    public var testEvents: [Int] { (0..<log.count).filter { log.times[$0] >= splitAt } }

    /// Test events whose product the customer had not interacted with earlier in the log.
    public var newItemTestEvents: [Int] {
        var seen = Set<Int64>()
        var result: [Int] = []
        for u in 0..<(log.userOffsets.count - 1) {
            seen.removeAll(keepingCapacity: true)
            for s in log.userOffsets[u] ..< log.userOffsets[u + 1] {
                let e = log.event(atSlot: s)
                let key = Int64(log.products[e])
                if log.times[e] >= splitAt, !seen.contains(key) { result.append(e) }
                seen.insert(key)
            }
        }
        return result.sorted()
    }

    /// Scores `tower` (when given), `default`, `popularity` and `history_mean` on `events`.
    public func evaluate(tower: UserTowerModel?, events: [Int]) -> EvaluationSet {
        let untrained = UserTowerModel.untrained(eventWeights: eventWeights, dimension: catalog.dimension)
        let popularity = popularityScores(weightedBy: untrained)
        let popular = popularityRanking(popularity)
        let text = catalog.vectors
        let withHistory = events.filter { !log.history(of: $0).isEmpty }
        var sets: [ModelEvaluation] = []
        if let tower {
            sets.append(score("tower", events: events, popular: popular, items: itemVectors(of: tower)) { tower.encode($0) })
        }
        sets.append(score("default", events: events, popular: popular, items: text) { untrained.encode($0) })
        var pop = RankingMetrics()
        for e in events { pop.add(rank: popular.rank[Int(log.products[e])], top: popular.top) }
        sets.append(ModelEvaluation(name: "popularity", metrics: pop, candidates: popular.candidates))
        sets.append(score("history_mean", events: events, popular: popular, items: text) { Self.plainMeans($0) })
        return EvaluationSet(testEvents: events.count, withoutHistory: events.count - withHistory.count, models: sets)
    }

    /// The served vector of every catalog product under `model` (its item side, or the text vector).
    public func itemVectors(of model: UserTowerModel) -> [Float] {
        guard let items = model.items else { return catalog.vectors }
        var out = [Float]()
        out.reserveCapacity(catalog.vectors.count)
        for p in 0..<catalog.count { out += items.vector(of: catalog.productIDs[p], text: Array(catalog.vector(p))) }
        return out
    }

    // MARK: scoring

    struct Popularity {
        var rank: [Int]
        var top: [Int32]
        var candidates: Int
    }

    /// Σ event weight of train-period events, per catalog row.
    func popularityScores(weightedBy model: UserTowerModel) -> [Float] {
        let weight = log.eventNames.map { model.weight(of: $0) }
        var scores = [Float](repeating: 0, count: catalog.count)
        for e in 0..<log.count where log.times[e] < splitAt { scores[Int(log.products[e])] += weight[Int(log.types[e])] }
        return scores
    }

    /// Every product's popularity rank among the active products (score descending, then id ascending).
    func popularityRanking(_ scores: [Float]) -> Popularity {
        let order = (0..<catalog.count).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var rank = [Int](repeating: 0, count: catalog.count)
        var ahead = 0
        var top: [Int32] = []
        for p in order {
            rank[p] = ahead + 1
            if catalog.active[p] {
                ahead += 1
                if top.count < 20 { top.append(Int32(p)) }
            }
        }
        return Popularity(rank: rank, top: top, candidates: ahead)
    }

    private func score(_ name: String, events: [Int], popular: Popularity, items: [Float],
                       encode: ([[TowerInteraction]]) -> [[Float]]) -> ModelEvaluation {
        let ranker = CatalogRanker(dimension: catalog.dimension, items: items, isCandidate: catalog.active)
        var metrics = RankingMetrics()
        let d = catalog.dimension
        for first in stride(from: 0, to: events.count, by: 256) {
            let chunk = events[first ..< min(first + 256, events.count)]
            let scored = chunk.filter { !log.history(of: $0).isEmpty }
            for e in chunk where log.history(of: e).isEmpty {
                metrics.add(rank: popular.rank[Int(log.products[e])], top: popular.top)
            }
            guard !scored.isEmpty else { continue }
            let histories = scored.map { e in
                log.history(of: e).reversed().map { s -> TowerInteraction in
                    let h = log.event(atSlot: s), p = Int(log.products[h])
                    return TowerInteraction(productVector: Array(items[p * d ..< (p + 1) * d]),
                                            eventName: log.eventNames[Int(log.types[h])],
                                            ageSeconds: Float(log.times[e] - log.times[h]) * 1e-6)
                }
            }
            let users = encode(histories).flatMap { $0 }
            let (ranks, top) = ranker.rank(users: users, targets: scored.map { log.products[$0] }, topK: 20)
            for (r, t) in zip(ranks, top) { metrics.add(rank: r, top: t) }
        }
        return ModelEvaluation(name: name, metrics: metrics, candidates: ranker.candidateCount)
    }

    /// The plain (unweighted) mean of each history's product vectors, normalised.
    static func plainMeans(_ histories: [[TowerInteraction]]) -> [[Float]] {
        histories.map { h in
            var mean = [Float](repeating: 0, count: h[0].productVector.count)
            for item in h { BLAS.axpy(1, item.productVector, &mean) }
            return VectorOps.l2Normalized(mean)
        }
    }
}
