import TowerMath
import TowerRerank

/// Closed-form EASE (Steck 2019) over the binary customer × product matrix X:
/// `P = (XᵀX + λI)⁻¹`, `B_ij = −P_ij / P_jj`, `B_jj = 0`; a history's scores are the sum of its products' rows of B.
/// The `ease` baseline of `tower evaluate` (over catalog rows) and the `ease` neighbours `tower train` serves
/// (over product ids, `EASENeighbors`) are this one fit.
///
/// Time: Σ_c n_c² to build XᵀX plus n³/3 · 2 for the Cholesky inversion (LAPACK through OpenBLAS); memory: one
/// n × n float matrix (1.6 GB at n = 20,000).
struct EASE<Key: Hashable & Comparable> {
    /// The products (the columns of X) in ascending order, each one's column, and B over them (`n × n`, row-major).
    let rows: [Key]
    let column: [Key: Int]
    let weights: [Float]

    /// Fits B on customers' baskets (each the set of products one customer touched). Nil when the regularised Gram
    /// matrix cannot be inverted (it always can for λ > 0).
    init?(baskets: [Set<Key>], lambda: Float) {
        let rows = Array(Set(baskets.flatMap { $0 })).sorted()
        let column = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
        let n = rows.count
        var g = [Float](repeating: 0, count: n * n)
        for items in baskets {
            let cols = items.map { column[$0]! }
            for i in cols { for j in cols { g[i * n + j] += 1 } }
        }
        for i in 0..<n { g[i * n + i] += lambda }
        guard BLAS.invertSymmetricPositiveDefinite(&g, n: n) else { return nil }
        let diagonal = (0..<n).map { g[$0 * n + $0] }
        for i in 0..<n {
            for j in 0..<n { g[i * n + j] = -g[i * n + j] / diagonal[j] }
            g[i * n + i] = 0
        }
        self.rows = rows
        self.column = column
        weights = g
    }
}

/// `product_neighbors` kind `ease`: each product's best positive EASE weights `B_ij` (the products j a history
/// holding i votes for), written by `tower train` from the whole event log and read by the re-ranker's candidates
/// and features like the co-visitation kinds. Where co-visitation scores each pair on its own, EASE's weights come
/// from one regression of every product on all others, so a product's neighbours are what a history holding it predicts
/// beyond the products that usually come with it (docs/model.md has what it adds).
public enum EASENeighbors {
    /// λ of the served fit, `tower evaluate`'s default for its `ease` baseline.
    public static let defaultLambda: Float = 500
    /// At most this many products enter the fit (those touched by the most customers, then by ascending id): one
    /// n × n float matrix, 1.6 GB at 20,000.
    public static let defaultMaxProducts = 20_000
    public static let defaultLimit = 100

    /// The neighbours of every fitted product (score descending, then product id ascending; products whose weights are
    /// all ≤ 0 have none). `events` in log order; only each customer's `CoVisitation.defaultMaxProductsPerCustomer`
    /// most recently touched products count, as in co-visitation. Empty when nothing can be fitted.
    public static func neighbors(of events: [CoVisitEvent], lambda: Float = defaultLambda, maxProducts: Int = defaultMaxProducts,
                                 limit: Int = defaultLimit) -> [Int64: [Neighbor]] {
        var recent: [Int64: [Int64]] = [:]  // per customer, products by last touch, most recent last
        for e in events.reversed() where recent[e.customerID, default: []].count < CoVisitation.defaultMaxProductsPerCustomer {
            if !recent[e.customerID, default: []].contains(e.productID) { recent[e.customerID, default: []].append(e.productID) }
        }
        var customers: [Int64: Int] = [:]
        for products in recent.values { for p in products { customers[p, default: 0] += 1 } }
        let kept = Set(customers.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(maxProducts).map(\.key))
        let baskets = recent.values.map { Set($0.filter(kept.contains)) }.filter { $0.count > 1 }
        guard limit > 0, !baskets.isEmpty, let fit = EASE(baskets: baskets, lambda: lambda) else { return [:] }
        let n = fit.rows.count
        var out: [Int64: [Neighbor]] = [:]
        fit.weights.withUnsafeBufferPointer { w in
            for i in 0..<n {
                // The `limit` best, kept sorted (score descending; columns ascend with the product id, so a tie keeps
                // the earlier column first); most weights fail the comparison with the last kept one.
                var best: [(column: Int, score: Float)] = []
                best.reserveCapacity(limit + 1)
                for j in 0..<n {
                    let s = w[i * n + j]
                    guard s > 0, best.count < limit || s > best[best.count - 1].score else { continue }
                    let at = best.firstIndex { $0.score < s } ?? best.count
                    best.insert((j, s), at: at)
                    if best.count > limit { best.removeLast() }
                }
                guard !best.isEmpty else { continue }
                out[fit.rows[i]] = best.map { Neighbor(productID: fit.rows[$0.column], score: $0.score) }
            }
        }
        return out
    }
}
