import TowerModel
/// The text MiniLM embeds for a product, and its hash.
///
/// Format: `Name | by Merchant | Parent | Category | Subcategory | Color color | tier`, one segment
/// per category path element, in order. Missing or blank fields are left out entirely (no empty
/// segments); fields are trimmed of surrounding whitespace. Example:
/// `Nike Air Max | by Nike | Shoes | Sneakers | Running | Blue color | premium`.
public struct ProductText: Equatable, Sendable {
    public var name: String
    public var merchant: String?
    public var categoryPath: [String]
    public var color: String?
    public var tier: PriceTier?

    public init(name: String, merchant: String? = nil, categoryPath: [String] = [], color: String? = nil, tier: PriceTier? = nil) {
        self.name = name
        self.merchant = merchant
        self.categoryPath = categoryPath
        self.color = color
        self.tier = tier
    }

    /// The text to embed.
    public var text: String {
        var segments: [String] = []
        func add(_ value: String?, _ format: (String) -> String = { $0 }) {
            guard let v = value?.trimmingWhitespace, !v.isEmpty else { return }
            segments.append(format(v))
        }
        add(name)
        add(merchant) { "by \($0)" }
        categoryPath.forEach { add($0) }
        add(color) { "\($0) color" }
        add(tier?.rawValue)
        return segments.joined(separator: " | ")
    }

    /// SHA-256 (lowercase hex) of the text: a vector is stale when its stored hash differs.
    public var hash: String { SHA256.hex(text) }
}

extension String {
    /// The string without leading and trailing Unicode whitespace.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
