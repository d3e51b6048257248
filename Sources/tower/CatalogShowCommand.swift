import ArgumentParser
import Foundation
import TowerCLI
import TowerRanking

/// `tower catalog show`: one stored product, with its served vector.
struct CatalogShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one stored product.",
        discussion: """
        Reads through the read-only URL. With --json, one line with the stored fields and the served \
        product vector (null before `tower catalog embed`):

          {"product_id": 1, "name": "…", "merchant": "…", "categories": ["…"], "color": null, "price": 9.5,
           "price_tier": "budget", "popularity": 3, "created_at": "2024-05-01T12:00:00Z", "active": true,
           "vector": [0.01, …]}
        """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The product id.")
    var product: Int64

    @Flag(name: .long, help: "Print one JSON object (with the full vector) instead of text.")
    var json = false

    /// The product as one JSON object, keys in the documented order.
    static func json(_ p: CatalogProduct) -> JSON {
        .object([("product_id", .integer(p.productID)), ("name", .string(p.name)), ("merchant", .optional(p.merchant, JSON.string)),
                 ("categories", .array(p.categoryPath.map(JSON.string))), ("color", .optional(p.color, JSON.string)),
                 ("price", .optional(p.price, JSON.number)), ("price_tier", .optional(p.priceTier, JSON.string)),
                 ("popularity", .number(p.popularity)), ("created_at", .string(iso8601(p.createdAt))), ("active", .bool(p.active)),
                 ("vector", .optional(p.vector) { .array($0.map(JSON.float)) })])
    }

    static func iso8601(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }

    struct NotFound: Error, CustomStringConvertible {
        let product: Int64
        var description: String { "product \(product) does not exist: check the id, or import the catalog (`tower catalog import`)" }
    }

    func run() async throws {
        try await runReportingErrors {
            let ranker = Ranker(url: try global.readOnlyDatabaseURL())
            guard let p = try await ranker.product(product) else {
                throw NotFound(product: product)
            }
            if json {
                print(Self.json(p).text)
                return
            }
            let vector = p.vector.map { v in
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return "\(v.count) dims, norm \(String(format: "%.4f", norm)), [" + v.prefix(4).map { String(format: "%.4f", $0) }.joined(separator: ", ") + ", …]"
            } ?? "none (run `tower catalog embed`)"
            print("""
                product     \(p.productID)\(p.active ? "" : " (inactive)")
                name        \(p.name)
                merchant    \(p.merchant ?? "-")
                categories  \(p.categoryPath.isEmpty ? "-" : p.categoryPath.joined(separator: " / "))
                color       \(p.color ?? "-")
                price       \(p.price.map { String(format: "%.2f", $0) } ?? "-")\(p.priceTier.map { " (\($0))" } ?? "")
                popularity  \(p.popularity)
                created     \(Self.iso8601(p.createdAt))
                vector      \(vector)
                """)
        }
    }
}
