import Foundation

/// Accumulates ranking metrics over scored events (one target each): Recall@K, NDCG@K, MRR and
/// catalog coverage of the top-20 lists.
public struct RankingMetrics: Sendable {
    /// How many events had their target at each rank 1 … `maxK` (index 0 = rank 1).
    public private(set) var hitsAtRank: [Int]
    public private(set) var events = 0
    private var reciprocalRankSum: Double = 0
    private var covered = Set<Int32>()
    public let maxK: Int

    public init(maxK: Int = 50) {
        self.maxK = maxK
        hitsAtRank = [Int](repeating: 0, count: maxK)
    }

    /// Adds one event whose target was ranked `rank` (1 = first), with its top-20 list if coverage is wanted.
    public mutating func add(rank: Int, top: [Int32] = []) {
        precondition(rank >= 1, "ranks start at 1")
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
}
