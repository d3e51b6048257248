import ArgumentParser
import TowerCLI
import TowerRanking

/// `tower recommend`: one page of a customer's feed, as a shop's server would get it.
struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend", abstract: "Recommend products for a customer.",
        discussion: """
        Uses the ranking library over the read-only URL (TOWER_READONLY_DATABASE_URL). relevance orders by \
        cosine similarity to the customer's vector (score = cosine + 1); a customer without a vector gets \
        popular products (mode fallback); the other sorts ignore the customer (mode sorted).

        With --json, one line:
          {"customer_id": 42, "page": 1, "per_page": 20, "total": null, "mode": "personalized",
           "items": [{"product_id": 7, "score": 1.83, "reason": "personalized"}, …]}
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var ranking: RankingFilterOptions

    @Option(name: .long, help: "The customer id.")
    var customer: Int64

    @Option(name: .long, help: "Page number, from 1.")
    var page = 1

    @Option(name: .customLong("per-page"), help: "Products per page.")
    var perPage = 20

    @Option(name: .long, help: "relevance, price-asc, price-desc, newest or popular.")
    var sort: SortOption = .relevance

    @Flag(name: .long, help: "Also count all matching products.")
    var total = false

    @Option(name: .customLong("max-per-category"), help: "Diversify: at most N products of one category per page.")
    var maxPerCategory: Int?

    @Option(name: .long, help: "Diversify with maximal marginal relevance, λ in 0…1 (1 = plain order).")
    var mmr: Double?

    @Option(name: .customLong("exclude-history"),
            help: ArgumentHelp("Leave out the customer's own products of the window: \(FeedExclusion.optionSyntax) (carted: added to the cart).",
                               valueName: "what"))
    var excludeHistory: String = "none"

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    enum SortOption: String, ExpressibleByArgument, CaseIterable {
        case relevance, priceAsc = "price-asc", priceDesc = "price-desc", newest, popular
        var sort: RankingSort {
            switch self {
            case .relevance: return .relevance
            case .priceAsc: return .priceAscending
            case .priceDesc: return .priceDescending
            case .newest: return .newest
            case .popular: return .popular
            }
        }
    }

    func validate() throws {
        if maxPerCategory != nil && mmr != nil { throw ValidationError("use either --max-per-category or --mmr") }
        if FeedExclusion(option: excludeHistory) == nil { throw ValidationError("--exclude-history: use \(FeedExclusion.optionSyntax)") }
    }

    func run() async throws {
        try await runReportingErrors {
            let diversity = maxPerCategory.map(Diversity.maxPerCategory) ?? mmr.map { Diversity.mmr(lambda: $0) }
            let ranker = try ranking.ranker(global)
            let result = try await ranker.feed(
                customer: customer, filters: ranking.filters, sort: sort.sort, page: page, perPage: perPage,
                includeTotal: total, diversify: diversity, exclude: FeedExclusion(option: excludeHistory)!)
            if json {
                print(RankingOutput.json(result).text)
                return
            }
            print("customer \(result.customerID) · \(result.mode.rawValue) · page \(result.page) (\(result.perPage) per page)"
                  + (result.total.map { " · \($0) matching" } ?? ""))
            print(try RankingOutput.table(result.items, firstPosition: (result.page - 1) * result.perPage + 1, ranker: ranker))
        }
    }
}
