import TowerRerank

/// The candidate stage of the two-stage `tower` on the test events with a history: how often the event's product
/// is among the candidates at all (the ceiling of the re-ranked head), per source, and the mean list size.
public struct CandidateRecall: Sendable, Equatable {
    /// Test events whose candidates were generated (those with a history).
    public private(set) var events = 0
    /// Of those, events whose product was a candidate, and per source (`CandidateSources.named` order).
    public private(set) var hits = 0
    public private(set) var sourceHits = [Int](repeating: 0, count: CandidateSources.named.count)
    /// Events whose product only that source brought.
    public private(set) var onlyHits = [Int](repeating: 0, count: CandidateSources.named.count)
    /// Summed candidate counts.
    public private(set) var candidates = 0

    public init() {}

    mutating func add(target: Int64, signals: [ProductSignals]) {
        events += 1
        candidates += signals.count
        guard let sources = signals.first(where: { $0.productID == target })?.sources else { return }
        hits += 1
        let named = CandidateSources.named
        for (i, n) in named.enumerated() where sources.contains(n.source) {
            sourceHits[i] += 1
            if sources == n.source { onlyHits[i] += 1 }
        }
    }

    private func share(_ n: Int) -> Double { events > 0 ? Double(n) / Double(events) : 0 }

    /// `in_candidates`, `mean_candidates`, then per source its share of events (`similar`, …) and the share only
    /// it brought (`only_similar`, …).
    public var summary: [(key: String, value: Double)] {
        let named = CandidateSources.named
        return [("in_candidates", share(hits)), ("mean_candidates", events > 0 ? Double(candidates) / Double(events) : 0)]
            + named.indices.map { (named[$0].name, share(sourceHits[$0])) }
            + named.indices.map { ("only_" + named[$0].name, share(onlyHits[$0])) }
    }
}
