import ArgumentParser
import TowerCLI
import TowerRanking

/// `tower similar`: the products nearest to one product's vector.
struct SimilarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar", abstract: "Products similar to a product.",
        discussion: """
        Orders active products by cosine similarity to the product's stored vector (score = cosine + 1), \
        leaving the product itself out. New products are reachable as soon as they have a vector \
        (`tower catalog embed`).

        With --json, one line:
          {"product_id": 7, "limit": 20, "items": [{"product_id": 9, "score": 1.91, "reason": "similar"}, …]}
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var ranking: RankingFilterOptions

    @Option(name: .long, help: "The product id.")
    var product: Int64

    @Option(name: .long, help: "How many products.")
    var limit = 20

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let ranker = try ranking.ranker(global)
            let items = try await ranker.similar(to: product, filters: ranking.filters, limit: limit)
            if json {
                print(JSON.object([("product_id", .integer(product)), ("limit", .integer(Int64(limit))),
                                   ("items", .array(items.map(RankingOutput.json)))]).text)
            } else {
                print("similar to product \(product)")
                print(try RankingOutput.table(items, firstPosition: 1, ranker: ranker))
            }
        }
    }
}
