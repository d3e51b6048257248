import Foundation
import LibPQ

/// Whether a vector ordering goes through the HNSW index: known at once, or decided by the planner's row
/// estimate of the filter (an EXPLAIN, which callers may batch with their other statements).
enum IndexChoice {
    case known(Bool)
    case estimate(Statement, threshold: IndexThreshold)
}

/// The automatic policy's threshold: filters leaving at least `products` candidates use the index.
struct IndexThreshold {
    let products: Int

    /// Whether the `EXPLAIN (FORMAT JSON)` result estimates at least `products` rows (nothing was read).
    func uses(_ explain: PQResult) throws -> Bool {
        let plan: String = try explain[0].decode(0)
        guard let top = (try? JSONSerialization.jsonObject(with: Data(plan.utf8))) as? [[String: Any]],
              let rows = ((top.first?["Plan"] as? [String: Any])?["Plan Rows"] as? NSNumber)?.doubleValue else {
            throw RankingError.database("unexpected EXPLAIN output: \(plan.prefix(200))")
        }
        return rows >= Double(products)
    }
}
