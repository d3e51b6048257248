import Foundation
import TowerMath
import TowerRerank

/// A total order of the catalog for history-independent models: every product's rank among the active
/// products (score descending, then — when `createdAt` is given, as the ranking library's fallback orders —
/// newer first, then row ascending) and the top 20.
struct PopularityOrder {
    var rank: [Int]
    var top: [Int32]
    var candidates: Int
    /// `-rank` per row: a score row that reproduces this order (higher is better, no ties).
    var scoreRow: [Float]

    init(scores: [Float], active: [Bool], createdAt: [Double]? = nil) {
        let order = scores.indices.sorted {
            if scores[$0] != scores[$1] { return scores[$0] > scores[$1] }
            if let t = createdAt, t[$0] != t[$1] { return t[$0] > t[$1] }
            return $0 < $1
        }
        rank = [Int](repeating: 0, count: scores.count)
        scoreRow = [Float](repeating: 0, count: scores.count)
        top = []
        var ahead = 0
        for (position, p) in order.enumerated() {
            rank[p] = ahead + 1
            scoreRow[p] = -Float(position + 1)
            if active[p] {
                ahead += 1
                if top.count < 20 { top.append(Int32(p)) }
            }
        }
        candidates = ahead
    }
}

/// The strong baselines of `tower evaluate` (docs/model.md), all fitted on train-period events only.
struct Baselines {
    let log: EventLog
    let catalog: CatalogVectors
    let splitAt: Int64
    /// Configured weight per log type index.
    let typeWeight: [Float]

    /// Σ event weight per catalog row of train-period events in [from, splitAt) (from = nil: all of them).
    func weightSums(from: Int64?) -> [Float] {
        var scores = [Float](repeating: 0, count: catalog.count)
        for e in 0..<log.count where log.times[e] < splitAt && log.times[e] >= (from ?? .min) {
            scores[Int(log.products[e])] += typeWeight[Int(log.types[e])]
        }
        return scores
    }

    /// The served fallback: `products.popularity`, Σ event weight over (newest − period, newest] where newest
    /// is the newest train-period event (PopularityRepository's definition at the split).
    func servedPopularity(periodSeconds: Double) -> [Float] {
        guard let newest = (0..<log.count).last(where: { log.times[$0] < splitAt }).map({ log.times[$0] }) else {
            return [Float](repeating: 0, count: catalog.count)
        }
        let period = Int64((periodSeconds * 1_000_000).rounded())
        var scores = [Float](repeating: 0, count: catalog.count)
        for e in 0..<log.count where log.times[e] <= newest && log.times[e] > newest - period {
            scores[Int(log.products[e])] += typeWeight[Int(log.types[e])]
        }
        return scores
    }

    /// `repeat`: the history's products by recency-weighted weight (half-life one day; the more recent last
    /// touch breaks ties, then the row), best first.
    func repeatList(of event: Int) -> [Int32] {
        var score: [Int32: (weight: Float, last: Int64)] = [:]
        let t = log.times[event]
        for s in log.history(of: event) {
            let h = log.event(atSlot: s)
            let age = Float(t - log.times[h]) * 1e-6
            var v = score[log.products[h], default: (0, .min)]
            v.weight += typeWeight[Int(log.types[h])] * Foundation.exp2(-age / 86_400)
            v.last = max(v.last, log.times[h])
            score[log.products[h]] = v
        }
        return score.sorted {
            $0.value.weight != $1.value.weight ? $0.value.weight > $1.value.weight
                : $0.value.last != $1.value.last ? $0.value.last > $1.value.last : $0.key < $1.key
        }.map(\.key)
    }

    /// Co-visitation neighbours (TowerRerank's one function) of the train-period events, by catalog row.
    func neighbors(kind: NeighborKind, boughtThreshold: Float, before: Int64? = nil) -> [[(row: Int32, score: Float)]] {
        let end = before ?? splitAt
        let events = (0..<log.count).filter { log.times[$0] < end }.map {
            CoVisitEvent(customerID: log.customers[$0], productID: catalog.productIDs[Int(log.products[$0])],
                         weight: typeWeight[Int(log.types[$0])])
        }
        var rows = [[(row: Int32, score: Float)]](repeating: [], count: catalog.count)
        for (id, list) in CoVisitation.neighbors(of: events, kind: kind, boughtThreshold: boughtThreshold) {
            rows[Int(catalog.index(of: id)!)] = list.map { (catalog.index(of: $0.productID)!, $0.score) }
        }
        return rows
    }

    /// `item_knn`: Σ over the history of recency-weighted weight × neighbour score, best first (ties by row).
    func itemKNNList(of event: Int, neighbors: [[(row: Int32, score: Float)]]) -> [Int32] {
        var score: [Int32: Float] = [:]
        let t = log.times[event]
        for s in log.history(of: event) {
            let h = log.event(atSlot: s)
            let w = typeWeight[Int(log.types[h])] * Foundation.exp2(-Float(t - log.times[h]) * 1e-6 / 86_400)
            for n in neighbors[Int(log.products[h])] { score[n.row, default: 0] += w * n.score }
        }
        return score.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }
}

extension EASE where Key == Int32 {
    /// Fits B over catalog rows on the train-period events of `log` (binary: a customer touched a product or not). Nil when the
    /// matrix cannot be inverted (it always can for λ > 0).
    init?(log: EventLog, splitAt: Int64, lambda: Float) {
        var perCustomer: [Int64: Set<Int32>] = [:]
        for e in 0..<log.count where log.times[e] < splitAt { perCustomer[log.customers[e], default: []].insert(log.products[e]) }
        self.init(baskets: Array(perCustomer.values), lambda: lambda)
    }

    static func productsWithEvents(log: EventLog, splitAt: Int64) -> Int {
        Set((0..<log.count).filter { log.times[$0] < splitAt }.map { log.products[$0] }).count
    }

    /// Writes the scores of a history (catalog rows, duplicates count once) into `row` (catalog-sized; products
    /// without train-period events score 0).
    func scores(history: Set<Int32>, into row: inout [Float]) {
        let n = rows.count
        for i in row.indices { row[i] = 0 }
        var sums = [Float](repeating: 0, count: n)
        weights.withUnsafeBufferPointer { w in
            for p in history { if let c = column[p] { for j in 0..<n { sums[j] += w[c * n + j] } } }
        }
        for (c, p) in rows.enumerated() { row[Int(p)] = sums[c] }
    }
}
