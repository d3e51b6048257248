import Foundation

/// One line of a catalog import (`products.jsonl`).
///
/// | field | type | |
/// | --- | --- | --- |
/// | `product_id` | int64, as a JSON integer or a numeric string | required |
/// | `name` | non-empty string | required |
/// | `merchant` | string | optional |
/// | `categories` | array of strings, root first (stored as the category path) | optional, default `[]` |
/// | `color` | string | optional |
/// | `price` | number ≥ 0 | optional |
/// | `created_at` | ISO-8601 or epoch ms | optional: a new product gets the import time, an existing one keeps its value |
/// | `price_tier` | `budget`, `mid-range`, `premium` or `luxury` | optional: fixes the tier; absent, Tower computes it |
/// | `popularity` | number ≥ 0 | optional: fixes the popularity; absent, Tower computes it from events |
/// | `active` | boolean | optional: a new product is active, an existing one keeps its state |
///
/// `null` means absent; other fields are ignored.
public struct ProductRecord: Equatable, Sendable {
    public var productID: Int64
    public var name: String
    public var merchant: String?
    public var categories: [String]
    public var color: String?
    public var price: Double?
    public var createdAt: Date?
    public var priceTier: String?
    public var popularity: Double?
    public var active: Bool?

    /// The price tiers a `price_tier` field may name.
    public static let priceTiers = ["budget", "mid-range", "premium", "luxury"]

    public init(productID: Int64, name: String, merchant: String? = nil, categories: [String] = [], color: String? = nil,
                price: Double? = nil, createdAt: Date? = nil, priceTier: String? = nil, popularity: Double? = nil,
                active: Bool? = nil) {
        self.productID = productID
        self.name = name
        self.merchant = merchant
        self.categories = categories
        self.color = color
        self.price = price
        self.createdAt = createdAt
        self.priceTier = priceTier
        self.popularity = popularity
        self.active = active
    }

    /// Validates one parsed line; throws the `RecordError` that rejects it.
    public init(_ r: JSONRecord) throws {
        productID = try r.id("product_id")
        name = try r.string("name")
        merchant = try r.optionalString("merchant")
        categories = try r.stringArray("categories")
        color = try r.optionalString("color")
        price = try r.optionalNonNegative("price")
        createdAt = try r.optionalTimestamp("created_at")
        priceTier = try r.optionalString("price_tier")
        if let tier = priceTier, !Self.priceTiers.contains(tier) {
            throw RecordError.invalidValue(field: "price_tier", reason: "must be one of \(Self.priceTiers.joined(separator: ", ")), got \"\(tier)\"")
        }
        popularity = try r.optionalNonNegative("popularity")
        active = try r.optionalBool("active")
    }
}
