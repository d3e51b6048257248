import Foundation
import Hummingbird
import TowerJSON
import TowerRanking
import TowerRerank

/// Tower's own read API (docs/openapi.yaml) over one `Ranker`, its blocking calls run on `pool`.
struct TowerAPI: Sendable {
    let ranker: Ranker
    let pool: BlockingPool

    /// The largest `per_page` / `limit` the API accepts.
    static let maxPerPage = 100

    func register(on router: Router<some RequestContext>) {
        router.get("/v1/customers/:customer/feed") { request, context -> Response in try await feed(request, context) }
        router.get("/v1/customers/:customer/recently-viewed") { request, context -> Response in
            let customer = try pathID(context, "customer"), q = Query(request)
            let (filters, limit) = (try q.filters(), try q.int("limit", default: 20, range: 1...Self.maxPerPage))
            return try await list(reason: "recently_viewed") { try ranker.recentlyViewed(customer: customer, filters: filters, limit: limit) }
        }
        router.get("/v1/products/:product") { _, context -> Response in
            let id = try pathID(context, "product")
            guard let product = try await pool.run({ try ranker.products([id]).first }) else {
                throw APIError(.notFound, code: "product_not_found", message: "product \(id) does not exist: check the id or import the catalog")
            }
            return JSONBody.response { JSONBody.product(product, &$0) }
        }
        router.get("/v1/products/:product/similar") { request, context -> Response in
            let id = try pathID(context, "product"), q = Query(request)
            let (filters, limit) = (try q.filters(), try q.int("limit", default: 20, range: 1...Self.maxPerPage))
            return try await list(reason: "similar") {
                try ranker.similar(to: id, filters: filters, limit: limit).map { ScoredProduct(productID: $0.productID, score: $0.score) }
            }
        }
        for (path, kind) in [("related", NeighborKind.covisit), ("bought-together", .bought)] {
            router.get("/v1/products/:product/\(path)") { request, context -> Response in
                let id = try pathID(context, "product"), q = Query(request)
                let (filters, limit) = (try q.filters(), try q.int("limit", default: 20, range: 1...Self.maxPerPage))
                return try await list(reason: path.replacingOccurrences(of: "-", with: "_")) {
                    try ranker.neighbors(of: id, kind: kind, filters: filters, limit: limit)
                }
            }
        }
        router.get("/v1/trending") { request, _ -> Response in
            let q = Query(request)
            let (filters, limit) = (try q.filters(), try q.int("limit", default: 20, range: 1...Self.maxPerPage))
            return try await list(reason: "trending") { try ranker.trending(filters: filters, limit: limit) }
        }
        router.get("/v1/trending/facets/:attribute") { request, context -> Response in
            guard let attribute = context.parameters.get("attribute").flatMap(FacetAttribute.init(rawValue:)) else {
                throw APIError.badParameter("attribute", "use one of \(FacetAttribute.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let q = Query(request)
            let (filters, limit) = (try q.filters(), try q.int("limit", default: 20, range: 1...Self.maxPerPage))
            let facets = try await pool.run { try ranker.trendingFacets(attribute, filters: filters, limit: limit) }
            return JSONBody.response { w in
                w.object { w in
                    w.field("attribute", attribute.rawValue)
                    w.key("facets")
                    w.array { w in for f in facets { w.object { w in w.field("value", f.value); w.key("score"); w.double(f.score) } } }
                }
            }
        }
    }

    private func feed(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let customer = try pathID(context, "customer"), q = Query(request)
        let filters = try q.filters()
        guard let sort = RankingSort(apiName: try q.string("sort") ?? "relevance") else {
            throw APIError.badParameter("sort", "use one of \(RankingSort.allCases.map(\.apiName).joined(separator: ", "))")
        }
        let perPage = try q.int("per_page", default: 20, range: 1...Self.maxPerPage)
        let page = try q.int("page", default: 1, range: 1...10_000)
        let includeTotal = try q.bool("total", default: false)
        let exclusion = try q.exclusion()
        let (feed, products) = try await pool.run {
            let feed = try ranker.feed(customer: customer, filters: filters, sort: sort, page: page, perPage: perPage,
                                       includeTotal: includeTotal, exclude: exclusion)
            return (feed, try ranker.catalogProducts(feed.items.map(\.productID)))
        }
        return JSONBody.response(capacity: 512 * feed.items.count + 256) { w in
            w.object { w in
                w.field("customer_id", customer)
                w.field("mode", feed.mode.rawValue)
                w.field("page", page)
                w.field("per_page", perPage)
                if let total = feed.total { w.field("total", total) }
                JSONBody.items(feed.items.map { ($0.productID, $0.score) }, reason: { feed.items[$0].reason.rawValue }, products: products, &w)
            }
        }
    }

    /// Runs a list read and its product lookup on the pool, answering `{"items": [...]}`.
    private func list(reason: String, _ read: @escaping @Sendable () throws -> [ScoredProduct]) async throws -> Response {
        let ranker = self.ranker
        let (items, products) = try await pool.run {
            let items = try read()
            return (items, try ranker.catalogProducts(items.map(\.productID)))
        }
        return JSONBody.response(capacity: 512 * items.count + 64) { w in
            w.object { w in JSONBody.items(items.map { ($0.productID, $0.score) }, reason: { _ in reason }, products: products, &w) }
        }
    }
}

extension RankingSort {
    /// The name in the API's `sort` parameter (snake_case).
    var apiName: String {
        switch self {
        case .relevance: return "relevance"
        case .priceAscending: return "price_asc"
        case .priceDescending: return "price_desc"
        case .newest: return "newest"
        case .popular: return "popular"
        }
    }

    init?(apiName: String) {
        guard let sort = Self.allCases.first(where: { $0.apiName == apiName }) else { return nil }
        self = sort
    }
}
