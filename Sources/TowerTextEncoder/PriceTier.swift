/// A product's price band inside its top-level category, as it appears in the product text.
public enum PriceTier: String, CaseIterable, Sendable {
    case budget
    case midRange = "mid-range"
    case premium
    case luxury
}

/// Quartile cuts of product prices, per top-level category, that assign price tiers.
///
/// Method (documented in docs/product-text.md):
/// - The population of a category is the active products whose category path starts with it and
///   that have a price; products with no category use all priced products together.
/// - The three cuts are the 25th, 50th and 75th percentiles with linear interpolation between
///   closest ranks (NumPy's default, Hyndman–Fan type 7): for sorted prices `x[0…n-1]` and
///   `p ∈ {0.25, 0.5, 0.75}`, `h = (n - 1)·p` and `cut = x[⌊h⌋] + (h - ⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋])`.
/// - `price ≤ cut1` → budget, `≤ cut2` → mid-range, `≤ cut3` → premium, above → luxury: a price
///   exactly on a cut goes to the lower tier (so a category with a single price is all budget).
/// - No price → no tier. A tier given explicitly (the import's `price_tier`) overrides all this.
public struct PriceTiers: Sendable {
    /// The cuts of each top-level category, and of all priced products (for uncategorised ones).
    public let cutsByCategory: [String: [Double]]
    public let overallCuts: [Double]?

    /// Cuts from `(top-level category, price)` pairs (category nil when the path is empty).
    public init(prices: [(category: String?, price: Double)]) {
        var grouped: [String: [Double]] = [:]
        for p in prices where p.price.isFinite {
            if let c = p.category { grouped[c, default: []].append(p.price) }
        }
        cutsByCategory = grouped.mapValues { Self.quartileCuts($0)! }
        overallCuts = Self.quartileCuts(prices.map(\.price).filter(\.isFinite))
    }

    /// The tier of `price` among products of `category` (nil category: among all priced products).
    public func tier(price: Double?, category: String?) -> PriceTier? {
        guard let price, price.isFinite else { return nil }
        guard let cuts = category.flatMap({ cutsByCategory[$0] }) ?? overallCuts else { return nil }
        if price <= cuts[0] { return .budget }
        if price <= cuts[1] { return .midRange }
        if price <= cuts[2] { return .premium }
        return .luxury
    }

    /// The 25th, 50th and 75th percentiles (linear interpolation, type 7); nil for no values.
    static func quartileCuts(_ values: [Double]) -> [Double]? {
        guard !values.isEmpty else { return nil }
        let x = values.sorted()
        return [0.25, 0.5, 0.75].map { p in
            let h = Double(x.count - 1) * p
            let lo = Int(h.rounded(.down))
            let hi = min(lo + 1, x.count - 1)
            return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
        }
    }
}
