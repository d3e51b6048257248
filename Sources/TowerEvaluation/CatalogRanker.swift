import TowerMath

/// Ranks every candidate product for a user by cosine similarity, with the Tower tie-break:
/// equal scores rank by product id ascending (catalog row order).
///
/// The rank of a target is 1 + the number of candidates (other than it) that score higher, or score the
/// same with a smaller id. The target is ranked even when it is not a candidate itself (an inactive product).
public struct CatalogRanker: Sendable {
    public let dimension: Int
    /// Unit item vectors, `count × dimension`, in catalog row order.
    public let items: [Float]
    public let isCandidate: [Bool]
    public let candidateCount: Int

    public init(dimension: Int, items: [Float], isCandidate: [Bool]) {
        precondition(items.count == isCandidate.count * dimension, "one item vector per product")
        self.dimension = dimension
        self.items = items
        self.isCandidate = isCandidate
        candidateCount = isCandidate.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    public var count: Int { isCandidate.count }

    /// The rank of each target for its user vector (`targets.count × dimension`), and when `topK > 0` each
    /// user's `topK` best candidates (best first).
    public func rank(users: [Float], targets: [Int32], topK: Int = 0) -> (ranks: [Int], top: [[Int32]]) {
        var ranks = [Int](repeating: 0, count: targets.count)
        var top = [[Int32]](repeating: [], count: topK > 0 ? targets.count : 0)
        forEachRow(users: users) { i, row in
            ranks[i] = rank(of: Int(targets[i]), in: UnsafeBufferPointer(row))
            if topK > 0 { top[i] = best(topK, in: UnsafeBufferPointer(row)) }
        }
        return (ranks, top)
    }

    /// Calls `body` with each user's cosine row over the catalog (users: `n × dimension`), computed in
    /// blocks of 256 users by one matrix product each; the row may be overwritten.
    public func forEachRow(users: [Float], _ body: (Int, UnsafeMutableBufferPointer<Float>) -> Void) {
        let d = dimension, p = count
        let n = users.count / max(d, 1)
        precondition(users.count == n * d, "whole user vectors")
        let block = 256
        var scores = [Float](repeating: 0, count: min(block, max(n, 1)) * p)
        users.withUnsafeBufferPointer { u in
            items.withUnsafeBufferPointer { v in
                scores.withUnsafeMutableBufferPointer { s in
                    for first in stride(from: 0, to: n, by: block) {
                        let m = min(block, n - first)
                        BLAS.gemm(m: m, n: p, k: d, a: u.baseAddress! + first * d, lda: d, b: v.baseAddress!, ldb: d,
                                  transB: true, c: s.baseAddress!, ldc: p)
                        for i in 0..<m { body(first + i, UnsafeMutableBufferPointer(rebasing: s[i * p ..< (i + 1) * p])) }
                    }
                }
            }
        }
    }

    /// The rank of `target` in one row of scores over the catalog.
    public func rank(of target: Int, in scores: UnsafeBufferPointer<Float>) -> Int {
        let st = scores[target]
        var ahead = 0
        isCandidate.withUnsafeBufferPointer { c in
            for j in 0..<target where c[j] && scores[j] >= st { ahead += 1 }
            for j in (target + 1) ..< scores.count where c[j] && scores[j] > st { ahead += 1 }
        }
        return ahead + 1
    }

    /// The `k` best candidates of one row of scores (score descending, then row ascending).
    public func best(_ k: Int, in scores: UnsafeBufferPointer<Float>) -> [Int32] {
        var chosen: [(score: Float, row: Int32)] = []
        chosen.reserveCapacity(k + 1)
        isCandidate.withUnsafeBufferPointer { c in
            for j in 0..<scores.count where c[j] {
                let s = scores[j]
                if chosen.count == k, s <= chosen[k - 1].score { continue }
                var at = chosen.count
                while at > 0, chosen[at - 1].score < s { at -= 1 }
                chosen.insert((s, Int32(j)), at: at)
                if chosen.count > k { chosen.removeLast() }
            }
        }
        return chosen.map(\.row)
    }
}
