/// The order a shop asks for.
public enum RankingSort: String, Sendable, CaseIterable {
    /// Personalized by the customer's vector (popularity when there is none).
    case relevance
    /// Cheapest first (products without a price are left out).
    case priceAscending
    /// Most expensive first (products without a price are left out).
    case priceDescending
    /// Most recently created first.
    case newest
    /// Most popular first, then most recent.
    case popular
}

/// How one query orders products: its score column, ORDER BY and extra conditions. Ties always fall to
/// the product id, ascending, so an order is total and pages never overlap or skip.
enum Ordering: Equatable {
    /// Nearest to a stored vector by cosine distance (`<=>`).
    case nearest(QueryVector, reason: RankingReason)
    case popularity(reason: RankingReason)
    case priceAscending
    case priceDescending
    case newest

    init(sort: RankingSort) {
        switch sort {
        case .relevance, .popular: self = .popularity(reason: .popular)
        case .priceAscending: self = .priceAscending
        case .priceDescending: self = .priceDescending
        case .newest: self = .newest
        }
    }

    var isVector: Bool { if case .nearest = self { return true } else { return false } }

    var reason: RankingReason {
        switch self {
        case .nearest(_, let reason), .popularity(let reason): return reason
        case .priceAscending, .priceDescending, .newest: return .sorted
        }
    }

    /// The score column. For `nearest` it is the distance, the expression the HNSW index orders by;
    /// `score(fromColumn:)` turns it into cosine + 1.
    func scoreSQL(_ sql: inout SQLBuilder) -> String {
        switch self {
        case .nearest(let vector, _): return "p.embedding <=> \(vector.sql(&sql))"
        case .popularity: return "p.popularity"
        case .priceAscending, .priceDescending: return "p.price"
        case .newest: return "extract(epoch FROM p.created_at)::float8"
        }
    }

    /// ORDER BY over the select list, where the score column is named `s`.
    var orderSQL: String {
        switch self {
        case .nearest: return "s, p.product_id"
        case .popularity: return "p.popularity DESC, p.created_at DESC, p.product_id"
        case .priceAscending: return "p.price, p.product_id"
        case .priceDescending: return "p.price DESC, p.product_id"
        case .newest: return "p.created_at DESC, p.product_id"
        }
    }

    /// Conditions rows need to be placed in this order at all.
    var requiredSQL: String? {
        switch self {
        case .nearest: return "p.embedding IS NOT NULL"
        case .priceAscending, .priceDescending: return "p.price IS NOT NULL"
        case .popularity, .newest: return nil
        }
    }

    /// The result score from the score column's value.
    func score(fromColumn value: Double) -> Double {
        if case .nearest = self { return 2 - value }
        return value
    }
}

/// The stored vector a `nearest` ordering measures from, read inside the query (never shipped to the client).
enum QueryVector: Equatable {
    case customer(Int64)
    case product(Int64)

    /// A scalar subquery yielding the vector; the planner runs it once, before the scan.
    func sql(_ sql: inout SQLBuilder) -> String {
        switch self {
        case .customer(let id): return "(SELECT embedding FROM user_vectors WHERE customer_id = \(sql.bind(id)))"
        case .product(let id): return "(SELECT embedding FROM products WHERE product_id = \(sql.bind(id)))"
        }
    }
}
