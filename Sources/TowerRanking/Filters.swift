import LibPQ

/// What a shop's product list is restricted to. Every filter is optional; set ones are combined with AND.
/// Inactive products are never returned, whatever the filters.
public struct RankingFilters: Sendable, Equatable {
    /// Category path prefix: `["Clothing", "Shoes"]` keeps products whose path starts with those two levels.
    public var categoryPrefix: [String]
    /// Exact merchant name.
    public var merchant: String?
    /// Lowest price, inclusive (products without a price are excluded when set).
    public var minPrice: Double?
    /// Highest price, inclusive (products without a price are excluded when set).
    public var maxPrice: Double?
    /// Exact color.
    public var color: String?
    /// Allow list: only these products (nil: no restriction; empty: nothing).
    public var productIDs: [Int64]?
    /// Products never returned (for example those already in the cart).
    public var excludedProductIDs: [Int64]

    public init(categoryPrefix: [String] = [], merchant: String? = nil, minPrice: Double? = nil, maxPrice: Double? = nil,
                color: String? = nil, productIDs: [Int64]? = nil, excludedProductIDs: [Int64] = []) {
        self.categoryPrefix = categoryPrefix
        self.merchant = merchant
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.color = color
        self.productIDs = productIDs
        self.excludedProductIDs = excludedProductIDs
    }

    /// No restriction besides "active".
    public static let none = RankingFilters()

    /// Whether a filter besides exclusions narrows the candidates (the allow list is handled on its own).
    var narrowsCandidates: Bool {
        !categoryPrefix.isEmpty || merchant != nil || color != nil || minPrice != nil || maxPrice != nil
    }

    /// Throws `RankingError.invalidPriceRange` unless the bounds are finite and min ≤ max.
    func validate() throws {
        let bounds = [minPrice, maxPrice].compactMap { $0 }
        if bounds.contains(where: { !$0.isFinite }) || (minPrice ?? -.infinity) > (maxPrice ?? .infinity) {
            throw RankingError.invalidPriceRange(min: minPrice, max: maxPrice)
        }
    }

    /// Adds this filter set's conditions on `products p` to `sql`. With `positional` false the category
    /// prefix is only checked as containment: what the planner can estimate from its statistics.
    func apply(to sql: inout SQLBuilder, positional: Bool = true) {
        sql.require("p.active")
        if !categoryPrefix.isEmpty {
            let prefix = sql.bind(PQArray(categoryPrefix))
            // `@>` lets the GIN index narrow the rows; the slice comparison checks the position.
            sql.require("p.category_path @> \(prefix)::text[]")
            if positional {
                sql.require("p.category_path[1:\(sql.bind(categoryPrefix.count))::int] = \(prefix)::text[]")
                // Implied by the line above; spelled out so the planner can use a category's partial HNSW index.
                sql.require("p.category_path[1] = \(sql.bind(categoryPrefix[0]))::text")
            }
        }
        if let merchant { sql.require("p.merchant = \(sql.bind(merchant))") }
        if let color { sql.require("p.color = \(sql.bind(color))") }
        if let minPrice { sql.require("p.price >= \(sql.bind(minPrice))::float8") }
        if let maxPrice { sql.require("p.price <= \(sql.bind(maxPrice))::float8") }
        if let productIDs { sql.require("p.product_id = ANY(\(sql.bind(PQArray(productIDs)))::bigint[])") }
        if !excludedProductIDs.isEmpty {
            sql.require("p.product_id <> ALL(\(sql.bind(PQArray(excludedProductIDs)))::bigint[])")
        }
    }
}
