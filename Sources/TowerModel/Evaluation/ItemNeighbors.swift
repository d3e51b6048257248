import TowerRerank

/// Item-to-item neighbours by the cosine of served item vectors: `product_neighbors` kind `similar`, which the
/// per-interest candidates read ("looks like what the customer just touched"). The one function behind the
/// table `tower train` writes and the in-memory lists of `tower evaluate` and the re-ranker's training.
///
/// Time: one SGEMM of products × products × dimension (in blocks of 256 rows) and a top-`limit` selection per row;
/// memory: 256 × products floats of scratch plus the output.
public enum ItemNeighbors {
    /// Neighbours kept per product.
    public static let defaultLimit = 20

    /// For every catalog row, its `limit` most similar candidates of `ranker` (cosine descending, then id; the
    /// product itself left out), keyed by product id.
    public static func nearest(_ ranker: CatalogRanker, productIDs: [Int64], limit: Int = defaultLimit) -> [Int64: [Neighbor]] {
        precondition(productIDs.count == ranker.count, "one id per catalog row")
        var out: [Int64: [Neighbor]] = [:]
        out.reserveCapacity(productIDs.count)
        ranker.forEachRow(users: ranker.items) { row, scores in
            scores[row] = -.infinity
            let best = ranker.best(limit, in: UnsafeBufferPointer(scores)).filter { scores[Int($0)] > -.infinity }
            out[productIDs[row]] = best.map { Neighbor(productID: productIDs[Int($0)], score: scores[Int($0)]) }
        }
        return out
    }
}
