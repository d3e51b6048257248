import TowerRerank

/// Item-to-item neighbours by the cosine of served item vectors: `product_neighbors` kind `similar`, which the
/// per-interest candidates read ("looks like what the customer just touched"). The one function behind the
/// table `tower train` writes and the in-memory lists of `tower evaluate` and the re-ranker's training.
///
/// Time: one SGEMM of rows × products × dimension (in blocks of 256 rows) and a top-`limit` selection per row, where
/// the rows are the products with events (the only ones whose neighbours a feed reads), not the whole catalogue;
/// memory: 256 × products floats of scratch plus the output.
public enum ItemNeighbors {
    /// Neighbours kept per product.
    public static let defaultLimit = 20

    /// For each catalog row in `rows` (every row when nil), its `limit` most similar candidates of `ranker` (cosine
    /// descending, then id; the product itself left out), keyed by product id.
    public static func nearest(_ ranker: CatalogRanker, productIDs: [Int64], rows: [Int]? = nil,
                               limit: Int = defaultLimit) -> [Int64: [Neighbor]] {
        precondition(productIDs.count == ranker.count, "one id per catalog row")
        let d = ranker.dimension
        let chosen = rows ?? Array(0..<ranker.count)
        let queries = rows == nil ? ranker.items : chosen.flatMap { ranker.items[$0 * d ..< ($0 + 1) * d] }
        var out: [Int64: [Neighbor]] = [:]
        out.reserveCapacity(chosen.count)
        ranker.forEachRow(users: queries) { i, scores in
            let row = chosen[i]
            scores[row] = -.infinity
            let best = ranker.best(limit, in: UnsafeBufferPointer(scores)).filter { scores[Int($0)] > -.infinity }
            out[productIDs[row]] = best.map { Neighbor(productID: productIDs[Int($0)], score: scores[Int($0)]) }
        }
        return out
    }
}
