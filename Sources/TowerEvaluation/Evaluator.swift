import Foundation
import TowerMath
import TowerModel
import TowerRerank

/// The metrics of one model on one set of test events, overall and split by whether the event had a history.
public struct ModelEvaluation: Sendable {
    public var name: String
    public var metrics: RankingMetrics
    public var withHistory: RankingMetrics
    public var withoutHistory: RankingMetrics
    /// Active products ranked (the denominator of coverage).
    public var candidates: Int

    public init(name: String, metrics: RankingMetrics, withHistory: RankingMetrics = RankingMetrics(),
                withoutHistory: RankingMetrics = RankingMetrics(), candidates: Int) {
        self.name = name
        self.metrics = metrics
        self.withHistory = withHistory
        self.withoutHistory = withoutHistory
        self.candidates = candidates
    }

    /// The metrics of the `--json` output, by key.
    public var summary: [(key: String, value: Double)] { Self.summary(metrics, candidates: candidates) }

    static func summary(_ m: RankingMetrics, candidates: Int) -> [(key: String, value: Double)] {
        [("recall@10", m.recall(at: 10)), ("recall@20", m.recall(at: 20)), ("ndcg@10", m.ndcg(at: 10)),
         ("ndcg@20", m.ndcg(at: 20)), ("mrr", m.mrr), ("coverage@20", m.coverage(candidates: candidates))]
    }

    mutating func add(rank: Int, top: [Int32], customer: Int64, hasHistory: Bool) {
        metrics.add(rank: rank, top: top, cluster: customer)
        if hasHistory { withHistory.add(rank: rank, top: top, cluster: customer) } else {
            withoutHistory.add(rank: rank, top: top, cluster: customer)
        }
    }
}

/// The models scored on one set of test events.
public struct EvaluationSet: Sendable {
    public var testEvents: Int
    /// Test events whose history was empty (every personalised model ranks them by the served fallback).
    public var withoutHistory: Int
    public var models: [ModelEvaluation]
    /// Models left out, with the reason.
    public var skipped: [(name: String, reason: String)] = []
    /// The candidate stage of the two-stage `tower` (nil without a re-ranker).
    public var candidateRecall: CandidateRecall?
}

/// Offline evaluation under the Tower protocol (docs/model.md):
///
/// - test events: those at or after `splitAt`; history: the protocol history (`EventLog.history(of:)`), over
///   the whole log, so test-period events are history for later test events as the daemon would have them;
/// - every active product is ranked for each test event; ties rank by product id ascending;
/// - a test event with an empty history is ranked by the served fallback, `products.popularity` over
///   `popularityPeriodSeconds` ending at the newest train-period event, for every personalised model (as the
///   ranking library does for a user without a vector);
/// - baselines (fitted on train-period events only): `popularity` (all train-period events),
///   `recent_popularity_7d` / `_30d`, `repeat`, `item_knn`, `ease`; `default` (the untrained user tower) and
///   `history_mean` (plain mean of the history's text vectors);
/// - `tower`: the given model over its own item vectors, as the two-stage system when it holds re-ranker
///   parameters (candidates, TowerRerank features and scorer, the first K re-ranked, the rest in cosine order).
public struct Evaluator {
    public let log: EventLog
    public let catalog: CatalogVectors
    public let splitAt: Int64
    public let eventWeights: [String: Float]
    /// TOWER_POPULARITY_PERIOD.
    public var popularityPeriodSeconds: Double = 30 * 86_400
    public var easeLambda: Float = 500
    /// EASE is skipped above this many products with train-period events.
    public var easeMaxProducts = 20_000

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

    /// Configured weight per log type index (as the untrained model weighs them).
    var typeWeight: [Float] {
        let untrained = UserTowerModel.untrained(eventWeights: eventWeights, dimension: catalog.dimension)
        return log.eventNames.map { untrained.weight(of: $0) }
    }

    /// Scores `tower` (when given) and every baseline on `events`.
    public func evaluate(tower: UserTowerModel?, events: [Int]) -> EvaluationSet {
        let untrained = UserTowerModel.untrained(eventWeights: eventWeights, dimension: catalog.dimension)
        let weights = typeWeight
        let baselines = Baselines(log: log, catalog: catalog, splitAt: splitAt, typeWeight: weights)
        let served = PopularityOrder(scores: baselines.servedPopularity(periodSeconds: popularityPeriodSeconds), active: catalog.active,
                                     createdAt: catalog.attributes.map(\.createdAt))
        let day: Int64 = 86_400_000_000
        let recent30 = PopularityOrder(scores: baselines.weightSums(from: splitAt - 30 * day), active: catalog.active)
        let text = catalog.vectors
        var sets: [ModelEvaluation] = []
        var skipped: [(String, String)] = []
        var recall: CandidateRecall?
        if let tower {
            let items = Self.itemVectors(of: tower, catalog: catalog)
            if let rerank = tower.rerank {
                let ranker = CatalogRanker(dimension: 0, items: [], isCandidate: catalog.active)
                let stage = TwoStage(log: log, catalog: catalog,
                                     items: CatalogRanker(dimension: catalog.dimension, items: items, isCandidate: catalog.active),
                                     typeWeight: weights, before: splitAt,
                                     boughtThreshold: CoVisitation.boughtThreshold(weights: eventWeights), settings: rerank.candidates)
                var candidateRecall = CandidateRecall()
                sets.append(score("tower", events: events, fallback: served, items: items, encode: { tower.encode($0) },
                                  rerank: { e, row in
                    let history = stage.history(of: e, log: log, typeWeight: weights)
                    let (context, signals) = stage.candidates(history: history, cosines: UnsafeBufferPointer(row), ranker: ranker)
                    candidateRecall.add(target: catalog.productIDs[Int(log.products[e])], signals: signals)
                    let order = Reranker.order(signals, context: context, parameters: rerank).prefix(rerank.candidates.rerank)
                    for (i, id) in order.enumerated() { row[Int(catalog.index(of: id)!)] = 2 + Float(order.count - i) }
                }))
                recall = candidateRecall
            } else {
                sets.append(score("tower", events: events, fallback: served, items: items) { tower.encode($0) })
            }
        }
        sets.append(fixed("popularity", events: events, order: PopularityOrder(scores: baselines.weightSums(from: nil), active: catalog.active)))
        sets.append(fixed("recent_popularity_7d", events: events,
                          order: PopularityOrder(scores: baselines.weightSums(from: splitAt - 7 * day), active: catalog.active)))
        sets.append(fixed("recent_popularity_30d", events: events, order: recent30))
        sets.append(listed("repeat", events: events, then: recent30) { baselines.repeatList(of: $0) })
        let threshold = CoVisitation.boughtThreshold(weights: eventWeights)
        let neighbors = baselines.neighbors(kind: .covisit, boughtThreshold: threshold)
        sets.append(listed("item_knn", events: events, then: recent30) { baselines.itemKNNList(of: $0, neighbors: neighbors) })
        let easeProducts = EASE<Int32>.productsWithEvents(log: log, splitAt: splitAt)
        if easeProducts > easeMaxProducts {
            skipped.append(("ease", "\(easeProducts) products with train-period events exceed the limit of \(easeMaxProducts)"))
        } else if let ease = EASE<Int32>(log: log, splitAt: splitAt, lambda: easeLambda) {
            sets.append(rows("ease", events: events, fallback: served) { e, row in
                ease.scores(history: Set(log.history(of: e).map { log.products[log.event(atSlot: $0)] }), into: &row)
            })
        } else {
            skipped.append(("ease", "the regularised Gram matrix could not be inverted (raise --ease-lambda)"))
        }
        sets.append(score("history_mean", events: events, fallback: served, items: text) { Self.plainMeans($0) })
        sets.append(score("default", events: events, fallback: served, items: text) { untrained.encode($0) })
        let without = events.filter { log.history(of: $0).isEmpty }.count
        return EvaluationSet(testEvents: events.count, withoutHistory: without, models: sets, skipped: skipped, candidateRecall: recall)
    }

    /// The served vector of every catalog product under `model` (its item side, or the text vector).
    public static func itemVectors(of model: UserTowerModel, catalog: CatalogVectors) -> [Float] {
        guard let items = model.items else { return catalog.vectors }
        var out = [Float]()
        out.reserveCapacity(catalog.vectors.count)
        for p in 0..<catalog.count { out += items.vector(of: catalog.productIDs[p], text: Array(catalog.vector(p))) }
        return out
    }

    // MARK: scoring

    private func empty(_ name: String, candidates: Int) -> ModelEvaluation {
        ModelEvaluation(name: name, metrics: RankingMetrics(), candidates: candidates)
    }

    /// A history-independent model: one order for every event.
    private func fixed(_ name: String, events: [Int], order: PopularityOrder) -> ModelEvaluation {
        var m = empty(name, candidates: order.candidates)
        for e in events {
            m.add(rank: order.rank[Int(log.products[e])], top: order.top, customer: log.customers[e],
                  hasHistory: !log.history(of: e).isEmpty)
        }
        return m
    }

    /// A model that ranks its own list (best first) of each event, then the rest in `then`'s order.
    private func listed(_ name: String, events: [Int], then: PopularityOrder, list: (Int) -> [Int32]) -> ModelEvaluation {
        rows(name, events: events, fallback: nil) { e, row in
            for i in row.indices { row[i] = then.scoreRow[i] }
            let l = list(e)
            for (i, p) in l.enumerated() { row[Int(p)] = Float(l.count - i) }
        }
    }

    /// A model that writes a score row over the catalog per event (higher first, ties by row); events without
    /// history take `fallback`'s order when given.
    private func rows(_ name: String, events: [Int], fallback: PopularityOrder?, fill: (Int, inout [Float]) -> Void) -> ModelEvaluation {
        let ranker = CatalogRanker(dimension: 0, items: [], isCandidate: catalog.active)
        var m = empty(name, candidates: ranker.candidateCount)
        var row = [Float](repeating: 0, count: catalog.count)
        for e in events {
            let target = Int(log.products[e]), hasHistory = !log.history(of: e).isEmpty
            if !hasHistory, let fallback {
                m.add(rank: fallback.rank[target], top: fallback.top, customer: log.customers[e], hasHistory: false)
                continue
            }
            fill(e, &row)
            row.withUnsafeBufferPointer { r in
                m.add(rank: ranker.rank(of: target, in: r), top: ranker.best(20, in: r), customer: log.customers[e], hasHistory: hasHistory)
            }
        }
        return m
    }

    /// A user-vector model: cosine over `items`, optionally re-ranked per event (`rerank` overwrites the row).
    private func score(_ name: String, events: [Int], fallback: PopularityOrder, items: [Float],
                       encode: ([[TowerInteraction]]) -> [[Float]],
                       rerank: ((Int, UnsafeMutableBufferPointer<Float>) -> Void)? = nil) -> ModelEvaluation {
        let ranker = CatalogRanker(dimension: catalog.dimension, items: items, isCandidate: catalog.active)
        var m = empty(name, candidates: ranker.candidateCount)
        for first in stride(from: 0, to: events.count, by: 256) {
            let chunk = events[first ..< min(first + 256, events.count)]
            let scored = chunk.filter { !log.history(of: $0).isEmpty }
            for e in chunk where log.history(of: e).isEmpty {
                m.add(rank: fallback.rank[Int(log.products[e])], top: fallback.top, customer: log.customers[e], hasHistory: false)
            }
            guard !scored.isEmpty else { continue }
            let users = encode(scored.map { log.interactions(before: $0, items: items, dimension: catalog.dimension) }).flatMap { $0 }
            ranker.forEachRow(users: users) { i, row in
                let e = scored[i]
                rerank?(e, row)
                let r = UnsafeBufferPointer(row)
                m.add(rank: ranker.rank(of: Int(log.products[e]), in: r), top: ranker.best(20, in: r),
                      customer: log.customers[e], hasHistory: true)
            }
        }
        return m
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

extension EventLog {
    /// The protocol history of `event` as the user tower's input, most recent first, over `items` vectors.
    public func interactions(before event: Int, items: [Float], dimension d: Int) -> [TowerInteraction] {
        history(of: event).reversed().map { s -> TowerInteraction in
            let h = self.event(atSlot: s), p = Int(products[h])
            return TowerInteraction(productVector: Array(items[p * d ..< (p + 1) * d]), eventName: eventNames[Int(types[h])],
                                    ageSeconds: Float(times[event] - times[h]) * 1e-6)
        }
    }
}
