import Foundation
import LibPQ

/// Products of the customer's own recent history (the window's `interactions`) a feed may leave out.
public enum FeedExclusion: Sendable, Equatable {
    /// Leave nothing out.
    case none
    /// Leave out products the customer had an event of one of these types on in the window
    /// (`.carted` is `["product_added_to_cart"]`; pass your own names when TOWER_EVENT_WEIGHTS differs).
    case events(named: [String])
    /// Leave out every product the customer interacted with in the window.
    case interacted

    /// Products added to the cart in the window.
    public static let carted = FeedExclusion.events(named: ["product_added_to_cart"])

    /// The option as `tower recommend --exclude-history`, the API's `exclude_history` and Algolia's
    /// `queryParameters.excludeHistory` spell it: `none`, `carted`, `interacted` or `events:<type>,<type>…`
    /// (at most 20 event types). Nil for anything else.
    public init?(option: String) {
        switch option {
        case "none": self = .none
        case "carted": self = .carted
        case "interacted": self = .interacted
        default:
            guard option.hasPrefix("events:") else { return nil }
            let names = option.dropFirst("events:".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, names.count <= 20, names.allSatisfy({ !$0.isEmpty && $0.count <= 100 }) else { return nil }
            self = .events(named: names)
        }
    }

    /// What `init?(option:)` accepts, for error messages and help texts.
    public static let optionSyntax = "none, carted, interacted or events:<event type>,<event type>…"
}

extension FeedExclusion {
    /// The query of the products this exclusion leaves out of `customer`'s feed (nil: none), one `product_id` a row.
    func statement(_ customer: Int64) -> Statement? {
        let names: [String]?
        switch self {
        case .none: return nil
        case .events(let n): names = n
        case .interacted: names = nil
        }
        var sql = SQLBuilder()
        sql.require("customer_id = \(sql.bind(customer))")
        if let names { sql.require("event_name = ANY(\(sql.bind(PQArray(names)))::text[])") }
        return Statement("SELECT DISTINCT product_id FROM interactions \(sql.whereClause) ORDER BY product_id", sql.parameters)
    }
}
