import Foundation
/// The interaction types the system knows, with their weights.
///
/// Default: `product_viewed` 0.1, `product_clicked` 2.0, `product_added_to_cart` 5.0.
/// `TOWER_EVENT_WEIGHTS=product_viewed=0.1,product_clicked=2,product_purchased=8` replaces the table,
/// so new types need no code change.
public struct EventTypes: Sendable, Equatable {
    /// Names in configuration order; the index is the type's id.
    public let names: [String]
    public let weights: [String: Float]

    public static let `default` = EventTypes(pairs: [
        ("product_viewed", 0.1), ("product_clicked", 2.0), ("product_added_to_cart", 5.0),
    ])

    public init(pairs: [(String, Float)]) {
        names = pairs.map(\.0)
        weights = Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Parses `name=weight,name=weight`.
    public static func parse(_ text: String) throws -> EventTypes {
        var pairs: [(String, Float)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let w = Float(parts[1]), w > 0, w.isFinite else {
                throw ConfigError.invalid(key: "TOWER_EVENT_WEIGHTS", value: text,
                                          expected: "comma-separated name=weight pairs with positive weights")
            }
            pairs.append((parts[0], w))
        }
        guard !pairs.isEmpty else {
            throw ConfigError.invalid(key: "TOWER_EVENT_WEIGHTS", value: text, expected: "at least one name=weight pair")
        }
        return EventTypes(pairs: pairs)
    }

    public func weight(of name: String) -> Float? { weights[name] }
    public func contains(_ name: String) -> Bool { weights[name] != nil }
}
