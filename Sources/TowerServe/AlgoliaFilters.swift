import Foundation
import TowerJSON
import TowerRanking

/// Algolia's `facetFilters`, `numericFilters` and `filters` for the attributes Tower stores, as `RankingFilters`.
///
/// Attributes: `categories` (also `category`, `categories.lvlN`; a path whose levels are separated by ` > `,
/// matched as a prefix), `merchant` (also `brand`), `color`, and `price` (numeric). Conditions are ANDed;
/// OR groups with more than one value, negations and other attributes are refused with a message saying so.
struct AlgoliaFilters {
    private(set) var filters = RankingFilters()

    /// Reads `queryParameters` (or `fallbackParameters`); nil or missing members add nothing.
    init(_ parameters: JSONValue?, field: String) throws {
        guard let parameters else { return }
        guard case .object = parameters else { throw APIError.badParameter(field, "must be an object") }
        if let facets = parameters["facetFilters"] { try addFacetFilters(facets, field: "\(field).facetFilters") }
        if let numeric = parameters["numericFilters"] { try addNumericFilters(numeric, field: "\(field).numericFilters") }
        if let text = parameters["filters"] {
            guard let text = text.string else { throw APIError.badParameter("\(field).filters", "must be a string") }
            try addFilters(text, field: "\(field).filters")
        }
    }

    private mutating func addFacetFilters(_ value: JSONValue, field: String) throws {
        switch value {
        case .string(let s): try addFacet(s, field: field)
        case .array(let items):
            for item in items {
                switch item {
                case .string(let s): try addFacet(s, field: field)
                case .array(let group) where group.count == 1: try addFacetFilters(group[0], field: field)
                case .array: throw APIError.badParameter(field, "OR groups of several values are not supported: give one value per attribute")
                default: throw APIError.badParameter(field, "give strings such as \"color:red\"")
                }
            }
        default: throw APIError.badParameter(field, "give a string or an array of strings such as [\"color:red\"]")
        }
    }

    private mutating func addNumericFilters(_ value: JSONValue, field: String) throws {
        switch value {
        case .string(let s): try addNumeric(s, field: field)
        case .array(let items):
            for item in items {
                switch item {
                case .string(let s): try addNumeric(s, field: field)
                case .array(let group) where group.count == 1: try addNumericFilters(group[0], field: field)
                default: throw APIError.badParameter(field, "give strings such as \"price<=100\" (no OR groups)")
                }
            }
        default: throw APIError.badParameter(field, "give a string or an array of strings such as [\"price<=100\"]")
        }
    }

    /// `a:b AND price:10 TO 20 AND price<30 AND categories:"Shoes > Running"`.
    private mutating func addFilters(_ text: String, field: String) throws {
        for clause in Self.splitAND(text) where !clause.isEmpty {
            if clause.hasPrefix("NOT ") || clause.contains(" OR ") || clause.hasPrefix("(") {
                throw APIError.badParameter(field, "only conditions joined by AND are supported (no OR, NOT or parentheses)")
            }
            if clause.hasPrefix("price") { try addNumeric(clause, field: field) } else { try addFacet(clause, field: field) }
        }
    }

    /// `attribute:value`.
    private mutating func addFacet(_ text: String, field: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw APIError.badParameter(field, "\"\(text)\" is not attribute:value")
        }
        let attribute = text[..<colon].trimmingCharacters(in: .whitespaces)
        var value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        guard !attribute.hasPrefix("-"), !value.hasPrefix("-") else {
            throw APIError.badParameter(field, "negated filters are not supported")
        }
        guard !value.isEmpty, value.count <= 1000 else { throw APIError.badParameter(field, "\"\(attribute)\" needs a value") }
        switch attribute {
        case _ where attribute == "categories" || attribute == "category" || attribute.hasPrefix("categories.lvl"):
            let path = value.components(separatedBy: " > ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            try set(&filters.categoryPrefix, path, attribute: attribute, field: field, empty: [])
        case "merchant", "brand": try set(&filters.merchant, value, attribute: attribute, field: field, empty: nil)
        case "color": try set(&filters.color, value, attribute: attribute, field: field, empty: nil)
        case "price": try addNumeric("price=\(value)", field: field)
        default:
            throw APIError.badParameter(field, "unknown attribute \"\(attribute)\": filter on categories, merchant, color or price")
        }
    }

    private func set<T: Equatable>(_ slot: inout T, _ value: T, attribute: String, field: String, empty: T) throws {
        guard slot == empty || slot == value else {
            throw APIError.badParameter(field, "\"\(attribute)\" is given two different values: give one")
        }
        slot = value
    }

    /// `price<op>number` (op: <, <=, =, >=, >) or `price:lo TO hi`.
    private mutating func addNumeric(_ text: String, field: String) throws {
        let compact = text.replacingOccurrences(of: " ", with: "")
        guard compact.hasPrefix("price") else {
            throw APIError.badParameter(field, "\"\(text)\": numeric filters are supported on price only")
        }
        let rest = compact.dropFirst(5)
        func number(_ s: Substring) throws -> Double {
            guard let v = Double(s), v.isFinite else { throw APIError.badParameter(field, "\"\(text)\" needs a finite number") }
            return v
        }
        if rest.hasPrefix(":"), let to = rest.range(of: "TO") {
            try narrow(min: try number(rest[rest.index(after: rest.startIndex)..<to.lowerBound]), max: try number(rest[to.upperBound...]))
            return
        }
        for (op, apply) in [("<=", 0), (">=", 1), ("=", 2), ("<", 3), (">", 4)] where rest.hasPrefix(op) {
            let v = try number(rest.dropFirst(op.count))
            switch apply {
            case 0: try narrow(min: nil, max: v)
            case 1: try narrow(min: v, max: nil)
            case 2: try narrow(min: v, max: v)
            case 3: try narrow(min: nil, max: v.nextDown)
            default: try narrow(min: v.nextUp, max: nil)
            }
            return
        }
        throw APIError.badParameter(field, "\"\(text)\" is not price<op>number or price:LOW TO HIGH")
    }

    private mutating func narrow(min lo: Double?, max hi: Double?) throws {
        if let lo { filters.minPrice = Swift.max(filters.minPrice ?? lo, lo) }
        if let hi { filters.maxPrice = Swift.min(filters.maxPrice ?? hi, hi) }
    }

    /// Splits on ` AND ` outside double quotes.
    static func splitAND(_ text: String) -> [String] {
        var parts: [String] = [], current = "", quoted = false
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "\"" { quoted.toggle() }
            if !quoted, text[i...].hasPrefix(" AND ") {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                i = text.index(i, offsetBy: 5)
                continue
            }
            current.append(text[i])
            i = text.index(after: i)
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }
}
