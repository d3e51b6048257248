import Foundation
import Hummingbird
import TowerJSON
import TowerRanking
import TowerRerank

/// `POST /1/indexes/*/recommendations`, Algolia Recommend's request and response shapes (docs/serve.md).
///
/// `_score` is on Algolia's 0–100 scale: vector models (looking-similar, recommended-for-you) 100 × cosine
/// (negative cosines 0), neighbour models (related-products, bought-together) 100 × the neighbour score,
/// trending models 100 × trend score / the best trend score of the answer; popularity fallbacks score 0.
/// Hits below `threshold` are left out.
struct AlgoliaAPI: Sendable {
    let ranker: Ranker
    let pool: BlockingPool

    static let maxRequests = 50

    func register(on router: Router<some RequestContext>) {
        router.post("/1/indexes/*/recommendations") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let json: JSONValue
            do {
                json = try JSONValue.parse(Array(buffer: body))
            } catch {
                throw APIError(.badRequest, code: "invalid_json", message: "the body is not JSON (\(error)): send {\"requests\": [...]}")
            }
            guard let requests = json["requests"]?.array, (1...Self.maxRequests).contains(requests.count) else {
                throw APIError.badParameter("requests", "send an array of 1…\(Self.maxRequests) recommendation requests")
            }
            let parsed = try requests.enumerated().map { try RecommendRequest($1, field: "requests[\($0)]") }
            let ranker = self.ranker
            let results = try await pool.run { try parsed.map { try $0.answer(ranker) } }
            var w = JSONWriter(capacity: 4096)
            w.object { w in
                w.key("results")
                w.array { w in for result in results { result.write(&w) } }
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=UTF-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
        }
    }
}

/// One parsed entry of `requests`.
struct RecommendRequest: Sendable {
    enum Model: String, Sendable, CaseIterable {
        case recommendedForYou = "recommended-for-you"
        case relatedProducts = "related-products"
        case boughtTogether = "bought-together"
        case lookingSimilar = "looking-similar"
        case trendingItems = "trending-items"
        case trendingFacets = "trending-facets"
    }

    let index: String
    let model: Model
    let objectID: Int64?
    let customer: Int64?
    let limit: Int
    let threshold: Double
    let filters: RankingFilters
    let fallback: RankingFilters?
    let facetName: String?
    let facetValue: String?
    /// `queryParameters.excludeHistory` (Tower's extension): the customer's own products to leave out.
    let exclusion: FeedExclusion

    init(_ json: JSONValue, field: String) throws {
        guard case .object = json else { throw APIError.badParameter(field, "must be an object") }
        guard let index = json["indexName"]?.string, !index.isEmpty else { throw APIError.badParameter("\(field).indexName", "give the index name") }
        self.index = index
        guard let model = json["model"]?.string.flatMap(Model.init(rawValue:)) else {
            throw APIError.badParameter("\(field).model", "use one of \(Model.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.model = model
        objectID = try json["objectID"].map {
            guard let id = $0.string.flatMap({ Int64($0) }) else { throw APIError.badParameter("\(field).objectID", "give a product id as a string") }
            return id
        }
        if [.relatedProducts, .boughtTogether, .lookingSimilar].contains(model), objectID == nil {
            throw APIError.badParameter("\(field).objectID", "\(model.rawValue) needs the objectID of a product")
        }
        let parameters = json["queryParameters"]
        customer = try parameters?["userToken"].map {
            guard let id = $0.string.flatMap({ Int64($0) }) else {
                throw APIError.badParameter("\(field).queryParameters.userToken", "give the customer id as a string")
            }
            return id
        }
        if model == .recommendedForYou, customer == nil {
            throw APIError.badParameter("\(field).queryParameters.userToken", "recommended-for-you needs the customer id as userToken")
        }
        exclusion = try parameters?["excludeHistory"].map {
            guard let e = $0.string.flatMap(FeedExclusion.init(option:)) else {
                throw APIError.badParameter("\(field).queryParameters.excludeHistory", "use \(FeedExclusion.optionSyntax)")
            }
            guard model == .recommendedForYou else {
                throw APIError.badParameter("\(field).queryParameters.excludeHistory", "applies to recommended-for-you only")
            }
            return e
        } ?? .none
        limit = try Self.number(json["maxRecommendations"], field: "\(field).maxRecommendations", default: 30, range: 1...Double(TowerAPI.maxPerPage))
            .map { Int($0) } ?? 30
        threshold = try Self.number(json["threshold"], field: "\(field).threshold", default: 0, range: 0...100) ?? 0
        filters = try AlgoliaFilters(parameters, field: "\(field).queryParameters").filters
        fallback = try json["fallbackParameters"].map { try AlgoliaFilters($0, field: "\(field).fallbackParameters").filters }
        facetName = json["facetName"]?.string
        facetValue = json["facetValue"]?.string
        if model == .trendingFacets, facetName.flatMap(Self.facetAttribute) == nil {
            throw APIError.badParameter("\(field).facetName", "trending-facets needs facetName categories, merchant or color")
        }
        if facetValue != nil, facetName.flatMap(Self.facetAttribute) == nil {
            throw APIError.badParameter("\(field).facetName", "facetValue needs facetName categories, merchant or color")
        }
    }

    static func facetAttribute(_ name: String) -> FacetAttribute? {
        switch name {
        case "categories", "category", "categories.lvl0": return .category
        case "merchant", "brand": return .merchant
        case "color": return .color
        default: return nil
        }
    }

    private static func number(_ value: JSONValue?, field: String, default def: Double, range: ClosedRange<Double>) throws -> Double? {
        guard let value else { return nil }
        guard case .number(let text) = value, let v = Double(text), range.contains(v) else {
            throw APIError.badParameter(field, "use a number in \(Int(range.lowerBound))…\(Int(range.upperBound))")
        }
        return v
    }

    /// Runs the model (blocking: call on the pool).
    func answer(_ ranker: Ranker) throws -> RecommendResult {
        let start = ContinuousClock.now
        var hits: [(Int64, Double)]
        var facets: [FacetScore] = []
        switch model {
        case .recommendedForYou:
            let page = try ranker.feed(customer: customer!, filters: filters, perPage: limit, exclude: exclusion)
            hits = page.items.map { ($0.productID, page.mode == .personalized ? Self.cosineScore($0.score) : 0) }
        case .lookingSimilar:
            hits = try ranker.similar(to: objectID!, filters: filters, limit: limit).map { ($0.productID, Self.cosineScore($0.score)) }
        case .relatedProducts, .boughtTogether:
            hits = try ranker.neighbors(of: objectID!, kind: model == .boughtTogether ? .bought : .covisit, filters: filters, limit: limit)
                .map { ($0.productID, min(100, $0.score * 100)) }
        case .trendingItems:
            var trendFilters = filters
            if let name = facetName, let value = facetValue { try Self.apply(name: name, value: value, to: &trendFilters) }
            hits = Self.relative(try ranker.trending(filters: trendFilters, limit: limit).map { ($0.productID, $0.score) })
        case .trendingFacets:
            let found = try ranker.trendingFacets(Self.facetAttribute(facetName!)!, filters: filters, limit: limit)
            let best = found.first?.score ?? 1
            facets = found.map { FacetScore(value: $0.value, score: best > 0 ? $0.score / best * 100 : 0) }.filter { $0.score >= threshold }
            hits = []
        }
        hits = hits.filter { $0.1 >= threshold }
        if let fallback, model != .trendingFacets, hits.count < limit {
            var fill = fallback
            fill.excludedProductIDs += hits.map(\.0) + (objectID.map { [$0] } ?? [])
            let popular = try ranker.feed(customer: customer ?? 0, filters: fill, sort: .popular, perPage: limit - hits.count,
                                          exclude: exclusion)
            hits += popular.items.map { ($0.productID, 0) }
        }
        let products = try ranker.catalogProducts(hits.map(\.0))
        let byID = Dictionary(products.map { ($0.productID, $0) }, uniquingKeysWith: { a, _ in a })
        let elapsed = start.duration(to: .now)
        return RecommendResult(index: index, limit: limit, facetName: facetName, facets: facets,
                               hits: hits.compactMap { id, score in byID[id].map { ($0, score) } },
                               milliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
    }

    /// Cosine + 1 (0…2) on the 0–100 scale: 100 × cosine, negatives 0.
    static func cosineScore(_ score: Double) -> Double { max(0, min(100, (score - 1) * 100)) }

    /// Trend scores relative to the best one, on 0–100.
    static func relative(_ hits: [(Int64, Double)]) -> [(Int64, Double)] {
        guard let best = hits.first?.1, best > 0 else { return hits.map { ($0.0, 0) } }
        return hits.map { ($0.0, max(0, $0.1 / best * 100)) }
    }

    static func apply(name: String, value: String, to filters: inout RankingFilters) throws {
        switch facetAttribute(name) {
        case .category: filters.categoryPrefix = value.components(separatedBy: " > ").map { $0.trimmingCharacters(in: .whitespaces) }
        case .merchant: filters.merchant = value
        case .color: filters.color = value
        case nil: throw APIError.badParameter("facetName", "use categories, merchant or color")
        }
    }
}

/// One entry of `results`.
struct RecommendResult: Sendable {
    let index: String
    let limit: Int
    let facetName: String?
    let facets: [FacetScore]
    let hits: [(CatalogProduct, Double)]
    let milliseconds: Int

    func write(_ w: inout JSONWriter) {
        w.object { w in
            w.key("hits")
            w.array { w in
                if let facetName, hits.isEmpty {
                    for facet in facets {
                        w.object { w in
                            w.field("facetName", facetName)
                            w.field("facetValue", facet.value)
                            w.key("_score"); w.double((facet.score * 100).rounded() / 100)
                        }
                    }
                }
                for (p, score) in hits {
                    w.object { w in
                        w.field("objectID", String(p.productID))
                        w.key("_score"); w.double((score * 100).rounded() / 100)
                        w.field("categories", p.categoryPath)
                        JSONBody.storedFields(p, &w)
                    }
                }
            }
            let count = hits.isEmpty ? facets.count : hits.count
            w.field("nbHits", count)
            w.field("page", 0)
            w.field("nbPages", count > 0 ? 1 : 0)
            w.field("hitsPerPage", limit)
            w.field("processingTimeMS", milliseconds)
            w.field("index", index)
            w.field("query", "")
            w.field("params", "")
        }
    }
}
