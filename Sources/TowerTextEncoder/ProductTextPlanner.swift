/// Decides which products need a new text vector: builds each product's text (with its price tier)
/// and compares the text's hash with the hash stored beside the product's vector.
public enum ProductTextPlanner {
    /// A product as stored: the text fields, price, tier override and the hash of its current vector's text.
    public struct Product: Sendable {
        public var id: Int64
        public var name: String
        public var merchant: String?
        public var categoryPath: [String]
        public var color: String?
        public var price: Double?
        /// The import's `price_tier` when it fixed the tier; nil lets Tower compute it.
        public var fixedTier: PriceTier?
        /// The hash of the text the stored vector was computed from (nil: never embedded).
        public var storedHash: String?

        public init(id: Int64, name: String, merchant: String? = nil, categoryPath: [String] = [], color: String? = nil,
                    price: Double? = nil, fixedTier: PriceTier? = nil, storedHash: String? = nil) {
            self.id = id
            self.name = name
            self.merchant = merchant
            self.categoryPath = categoryPath
            self.color = color
            self.price = price
            self.fixedTier = fixedTier
            self.storedHash = storedHash
        }

        /// The first non-blank category path element (the quartile population), if any.
        public var topCategory: String? {
            categoryPath.lazy.map(\.trimmingWhitespace).first { !$0.isEmpty }
        }
    }

    /// A product to (re-)embed, with the text, its hash and the tier that text uses.
    public struct Pending: Equatable, Sendable {
        public var id: Int64
        public var text: String
        public var hash: String
        public var tier: PriceTier?
    }

    /// The products whose text hash differs from the stored one (all of them with `all`), in input order.
    /// Tiers come from quartiles over all given priced products (see `PriceTiers`), unless fixed.
    public static func pending(_ products: [Product], all: Bool = false) -> [Pending] {
        let tiers = PriceTiers(prices: products.compactMap { p in p.price.map { (category: p.topCategory, price: $0) } })
        return products.compactMap { p in
            let tier = p.fixedTier ?? tiers.tier(price: p.price, category: p.topCategory)
            let text = ProductText(name: p.name, merchant: p.merchant, categoryPath: p.categoryPath, color: p.color, tier: tier)
            let hash = text.hash
            guard all || hash != p.storedHash else { return nil }
            return Pending(id: p.id, text: text.text, hash: hash, tier: tier)
        }
    }
}
