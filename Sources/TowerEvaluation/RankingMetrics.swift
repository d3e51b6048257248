import Foundation

/// Accumulates ranking metrics over scored events (one target each): Recall@K, NDCG@K, MRR and
/// catalog coverage of the top-20 lists.
public struct RankingMetrics: Sendable {
    /// How many events had their target at each rank 1 … `maxK` (index 0 = rank 1).
    public private(set) var hitsAtRank: [Int]
    public private(set) var events = 0
    private var reciprocalRankSum: Double = 0
    private var covered = Set<Int32>()
    /// Every event's rank and cluster (customer), for the clustered standard errors.
    private var ranks: [Int32] = []
    private var clusters: [Int64] = []
    public let maxK: Int

    public init(maxK: Int = 50) {
        self.maxK = maxK
        hitsAtRank = [Int](repeating: 0, count: maxK)
    }

    /// Adds one event whose target was ranked `rank` (1 = first), with its top-20 list if coverage is wanted.
    /// `cluster` groups events for the standard errors (the customer; default: each event its own).
    public mutating func add(rank: Int, top: [Int32] = [], cluster: Int64? = nil) {
        precondition(rank >= 1, "ranks start at 1")
        ranks.append(Int32(clamping: rank))
        clusters.append(cluster ?? -Int64(events) - 1)
        events += 1
        if rank <= maxK { hitsAtRank[rank - 1] += 1 }
        reciprocalRankSum += 1 / Double(rank)
        covered.formUnion(top.prefix(20))
    }

    /// Share of events whose target is in the top K.
    public func recall(at k: Int) -> Double {
        precondition(k <= maxK, "recall@\(k) needs maxK >= \(k)")
        guard events > 0 else { return 0 }
        return Double(hitsAtRank.prefix(k).reduce(0, +)) / Double(events)
    }

    /// Mean of 1 / log2(rank + 1) over events whose target is in the top K (one relevant item per event).
    public func ndcg(at k: Int) -> Double {
        guard events > 0 else { return 0 }
        var sum: Double = 0
        for r in 0..<k { sum += Double(hitsAtRank[r]) / Foundation.log2(Double(r + 2)) }
        return sum / Double(events)
    }

    /// Mean reciprocal rank over the full ranking.
    public var mrr: Double { events > 0 ? reciprocalRankSum / Double(events) : 0 }

    /// Share of the `candidates` products that appear in at least one top-20 list.
    public func coverage(candidates: Int) -> Double { candidates > 0 ? Double(covered.count) / Double(candidates) : 0 }

    /// The standard error of the mean of `value(rank)` over the events, clustered by `cluster`:
    /// `√(G/(G−1) · Σ_g (Σ_{e∈g} (v_e − mean))²) / n` over G clusters (0 with fewer than two clusters).
    public func standardError(_ value: (Int) -> Double) -> Double {
        let n = ranks.count
        guard n > 0 else { return 0 }
        let values = ranks.map { value(Int($0)) }
        let mean = values.reduce(0, +) / Double(n)
        var sums: [Int64: Double] = [:]
        for (v, c) in zip(values, clusters) { sums[c, default: 0] += v - mean }
        let g = Double(sums.count)
        guard g > 1 else { return 0 }
        return (g / (g - 1) * sums.values.reduce(0) { $0 + $1 * $1 }).squareRoot() / Double(n)
    }

    /// Clustered standard errors of recall@10, recall@20, ndcg@10, ndcg@20 and mrr, by key.
    public var standardErrors: [(key: String, value: Double)] {
        func recall(_ k: Int) -> (Int) -> Double { { $0 <= k ? 1 : 0 } }
        func ndcg(_ k: Int) -> (Int) -> Double { { $0 <= k ? 1 / Foundation.log2(Double($0 + 1)) : 0 } }
        return [("recall@10", standardError(recall(10))), ("recall@20", standardError(recall(20))),
                ("ndcg@10", standardError(ndcg(10))), ("ndcg@20", standardError(ndcg(20))),
                ("mrr", standardError { 1 / Double($0) })]
    }
}
