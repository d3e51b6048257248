/// One interaction as the co-visitation function sees it.
public struct CoVisitEvent: Sendable, Equatable {
    public var customerID: Int64
    public var productID: Int64
    /// The event type's configured weight (TOWER_EVENT_WEIGHTS).
    public var weight: Float

    public init(customerID: Int64, productID: Int64, weight: Float) {
        self.customerID = customerID
        self.productID = productID
        self.weight = weight
    }
}

/// A neighbour of a product with its score: in (0, 1] for the co-visitation and similar kinds, an EASE weight (> 0) for `ease`.
public struct Neighbor: Sendable, Equatable, Codable {
    public var productID: Int64
    public var score: Float

    public init(productID: Int64, score: Float) {
        self.productID = productID
        self.score = score
    }
}

/// The kinds of `product_neighbors` (SCHEMA.md).
public enum NeighborKind: String, Sendable, CaseIterable {
    /// Co-occurrence of any events in customers' histories.
    case covisit
    /// The same over cart/purchase-weight events only (bought together).
    case bought
    /// The nearest products by cosine of the served item vectors ("looks like"), written by `tower train` from the
    /// model it trains (`ItemNeighbors`); the per-interest candidates read them.
    case similar
    /// The products a history holding the product predicts by EASE's item–item weights (`EASENeighbors` in
    /// TowerEvaluation, written by `tower train`); scores are those weights (> 0, usually far below 1).
    case ease

    /// The kinds `CoVisitation` computes from the event log.
    public static let coVisitation: [NeighborKind] = [.covisit, .bought]
}

/// The one co-visitation function of Tower: `tower evaluate` (item_knn and the re-ranker's features), `tower
/// train` and towerd's refresh of `product_neighbors` all call it, so offline and online agree.
///
/// Each customer is a vector over products: `x[c][p] = Σ weight` of the customer's events on p (only the
/// `maxProductsPerCustomer` most recently touched products of a customer count, so one bot cannot cost
/// quadratic time). The score of neighbour j of product i is the cosine of their columns,
/// `Σ_c x[c][i]·x[c][j] / (‖x[·][i]‖ ‖x[·][j]‖)`, in (0, 1]; each product keeps its `limit` best neighbours
/// (score descending, then product id ascending). Kind `bought` uses only events whose weight is at least
/// `boughtThreshold(weights:)`.
///
/// Time: Σ_c n_c² over customers with n_c products (≤ `maxProductsPerCustomer`); memory: one float per product
/// of scratch plus the output.
public enum CoVisitation {
    public static let defaultLimit = 100
    public static let defaultMaxProductsPerCustomer = 300

    /// The weight from which an event counts as "bought": the weight of `product_added_to_cart` when that type
    /// is configured, else the largest configured weight.
    public static func boughtThreshold(weights: [String: Float]) -> Float {
        weights["product_added_to_cart"] ?? weights.values.max() ?? .infinity
    }

    /// Neighbours of every product that has any, for one kind. `events` must be in log order (oldest first).
    public static func neighbors(of events: [CoVisitEvent], kind: NeighborKind, boughtThreshold: Float,
                                 limit: Int = defaultLimit,
                                 maxProductsPerCustomer: Int = defaultMaxProductsPerCustomer) -> [Int64: [Neighbor]] {
        let used = kind == .bought ? events.filter { $0.weight >= boughtThreshold } : events
        return neighbors(of: used, limit: limit, maxProductsPerCustomer: maxProductsPerCustomer)
    }

    /// Neighbours over all given events (see the type's documentation).
    public static func neighbors(of events: [CoVisitEvent], limit: Int = defaultLimit,
                                 maxProductsPerCustomer: Int = defaultMaxProductsPerCustomer) -> [Int64: [Neighbor]] {
        // Dense product indices in ascending id order (the tie-break order).
        let ids = Array(Set(events.map(\.productID))).sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
        // Per customer: product → (summed weight, last position in the log).
        var perCustomer: [Int64: [Int32: (weight: Float, last: Int)]] = [:]
        for (position, e) in events.enumerated() where e.weight > 0 {
            let p = index[e.productID]!
            perCustomer[e.customerID, default: [:]][p, default: (0, 0)].weight += e.weight
            perCustomer[e.customerID]![p]!.last = position
        }
        // Customer rows (capped to the most recent products) and the transposed product → customers lists.
        var rows: [[(product: Int32, weight: Float)]] = []
        rows.reserveCapacity(perCustomer.count)
        for customer in perCustomer.keys.sorted() {
            var items = perCustomer[customer]!.map { (product: $0.key, weight: $0.value.weight, last: $0.value.last) }
            if items.count > maxProductsPerCustomer {
                items.sort { $0.last > $1.last }
                items.removeLast(items.count - maxProductsPerCustomer)
            }
            rows.append(items.map { ($0.product, $0.weight) }.sorted { $0.product < $1.product })
        }
        var columns = [[(row: Int32, weight: Float)]](repeating: [], count: ids.count)
        var norm = [Float](repeating: 0, count: ids.count)
        for (r, row) in rows.enumerated() {
            for item in row {
                columns[Int(item.product)].append((Int32(r), item.weight))
                norm[Int(item.product)] += item.weight * item.weight
            }
        }
        for p in norm.indices { norm[p] = norm[p].squareRoot() }

        var result: [Int64: [Neighbor]] = [:]
        var dot = [Float](repeating: 0, count: ids.count)
        var touched: [Int32] = []
        for i in 0..<ids.count {
            touched.removeAll(keepingCapacity: true)
            for (r, wi) in columns[i] {
                for (j, wj) in rows[Int(r)] where Int(j) != i {
                    if dot[Int(j)] == 0 { touched.append(j) }
                    dot[Int(j)] += wi * wj
                }
            }
            guard !touched.isEmpty else { continue }
            var scored = touched.map { j -> (Int32, Float) in
                let s = min(1, dot[Int(j)] / (norm[i] * norm[Int(j)]))
                dot[Int(j)] = 0
                return (j, s)
            }
            scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            result[ids[i]] = scored.prefix(limit).map { Neighbor(productID: ids[Int($0.0)], score: $0.1) }
        }
        return result
    }
}
