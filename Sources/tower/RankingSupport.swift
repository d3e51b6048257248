import ArgumentParser
import Foundation
import TowerCLI
import TowerRanking

/// Options `tower recommend` and `tower similar` share: filters and the vector search policy.
struct RankingFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Category path prefix, levels separated by '/', e.g. 'Shoes/Running'.")
    var category: String?

    @Option(name: .long, help: "Only this merchant.")
    var merchant: String?

    @Option(name: .customLong("min-price"), help: "Lowest price (inclusive).")
    var minPrice: Double?

    @Option(name: .customLong("max-price"), help: "Highest price (inclusive).")
    var maxPrice: Double?

    @Option(name: .long, help: "Only this color.")
    var color: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Product ids to leave out (e.g. already in the cart).")
    var exclude: [Int64] = []

    @Option(name: .long, help: "Vector search: auto (HNSW for large catalogs with an index), exact, or hnsw.")
    var search: SearchPolicy = .auto

    enum SearchPolicy: String, ExpressibleByArgument, CaseIterable {
        case auto, exact, hnsw
        var vectorSearch: VectorSearch {
            switch self {
            case .auto: return .default
            case .exact: return .exact
            case .hnsw: return .approximate
            }
        }
    }

    var filters: RankingFilters {
        RankingFilters(categoryPrefix: category.map { $0.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [],
                       merchant: merchant, minPrice: minPrice, maxPrice: maxPrice, color: color, excludedProductIDs: exclude)
    }

    /// A ranker over the read-only URL (TOWER_READONLY_DATABASE_URL, else TOWER_DATABASE_URL).
    func ranker(_ global: GlobalOptions) throws -> Ranker {
        var configuration = RankerConfiguration()
        configuration.vectorSearch = search.vectorSearch
        return try Ranker(url: global.readOnlyDatabaseURL(), configuration: configuration)
    }
}

/// A JSON value that renders with its object keys in the order given (the documented output formats
/// list keys in a fixed order; JSONEncoder does not keep it on Linux).
enum JSON {
    case integer(Int64)
    case number(Double)
    /// A Float32, written with the digits that round-trip it.
    case float(Float)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    static func optional<T>(_ value: T?, _ wrap: (T) -> JSON) -> JSON { value.map(wrap) ?? .null }

    /// Compact JSON text on one line.
    var text: String {
        switch self {
        case .integer(let i): return String(i)
        case .number(let d): return d.isFinite ? String(d) : "null"
        case .float(let f): return f.isFinite ? String(f) : "null"
        case .string(let s): return JSON.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let pairs): return "{" + pairs.map { JSON.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// JSON and table output of ranked items.
enum RankingOutput {
    /// `{"product_id": …, "score": …, "reason": "…"}`.
    static func json(_ item: RankedItem) -> JSON {
        .object([("product_id", .integer(item.productID)), ("score", .number(item.score)), ("reason", .string(item.reason.rawValue))])
    }

    /// `{"customer_id": …, "page": …, "per_page": …, "total": … or null, "mode": …, "items": [...]}`.
    static func json(_ page: FeedPage) -> JSON {
        .object([("customer_id", .integer(page.customerID)), ("page", .integer(Int64(page.page))),
                 ("per_page", .integer(Int64(page.perPage))), ("total", .optional(page.total) { .integer(Int64($0)) }),
                 ("mode", .string(page.mode.rawValue)), ("items", .array(page.items.map(json)))])
    }

    /// A numbered table of items with each product's name and category path (read through `ranker`).
    static func table(_ items: [RankedItem], firstPosition: Int, ranker: Ranker) throws -> String {
        guard !items.isEmpty else { return "(no products)" }
        let ids = items.map(\.productID)
        let products = try ranker.products(ids)
        let byID = Dictionary(products.map { ($0.productID, $0) }, uniquingKeysWith: { a, _ in a })
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        func cut(_ s: String, _ width: Int) -> String { s.count <= width ? s + String(repeating: " ", count: width - s.count) : s.prefix(width - 1) + "…" }
        var lines = [pad("#", 6) + "  " + pad("product_id", 12) + "  " + pad("score", 10) + "  " + cut("reason", 12) + "  "
                     + cut("name", 32) + "  category"]
        for (i, item) in items.enumerated() {
            let product = byID[item.productID]
            lines.append(pad(String(firstPosition + i), 6) + "  " + pad(String(item.productID), 12) + "  "
                         + pad(String(format: "%.6f", item.score), 10) + "  " + cut(item.reason.rawValue, 12) + "  "
                         + cut(product?.name ?? "?", 32) + "  " + (product?.categoryPath.joined(separator: " > ") ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
