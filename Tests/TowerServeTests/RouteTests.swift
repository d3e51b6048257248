import Foundation
import XCTest
@testable import TowerServe

/// Tower's own routes and their errors, against the real server and PostgreSQL.
final class RouteTests: XCTestCase {
    func testOwnRoutesAnswerWithProductsAndErrorsSayWhatToFix() async throws {
        let f = try ServeFixture("serveroutes")
        try await f.start(f.configuration())

        let health = try await f.get("/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.object["status"] as? String, "ok")

        let feed = try await f.get("/v1/customers/1/feed?per_page=5&page=1&total=true")
        XCTAssertEqual(feed.status, 200)
        XCTAssertEqual(feed.object["mode"] as? String, "personalized")
        XCTAssertEqual(feed.object["total"] as? Int, 40)
        let items = try XCTUnwrap(feed.object["items"] as? [[String: Any]])
        XCTAssertEqual(items.count, 5)
        XCTAssertEqual(items.first?["product_id"] as? Int, 1, "product 1 is nearest customer 1's vector")
        XCTAssertEqual((items.first?["product"] as? [String: Any])?["name"] as? String, "Product 1")
        let page2 = try await f.get("/v1/customers/1/feed?per_page=5&page=2")
        let ids1 = items.compactMap { $0["product_id"] as? Int }
        let ids2 = (page2.object["items"] as? [[String: Any]] ?? []).compactMap { $0["product_id"] as? Int }
        XCTAssertEqual(ids2.count, 5)
        XCTAssertTrue(Set(ids1).isDisjoint(with: ids2))

        let filtered = try await f.get("/v1/customers/1/feed?category=Garden/Tents&max_price=50&sort=price_asc&exclude=4")
        let prices = (filtered.object["items"] as? [[String: Any]] ?? []).compactMap { ($0["product"] as? [String: Any])?["price"] as? Double }
        XCTAssertEqual(filtered.object["mode"] as? String, "sorted")
        XCTAssertEqual(prices, prices.sorted())
        let filteredIDs = (filtered.object["items"] as? [[String: Any]] ?? []).compactMap { $0["product_id"] as? Int }
        XCTAssertEqual(Set(filteredIDs), Set((1...20).filter { $0 % 2 == 0 && $0 % 4 < 2 && $0 != 4 }))

        let product = try await f.get("/v1/products/7")
        XCTAssertEqual(product.object["category_path"] as? [String], ["Outdoor", "Tools"])
        let similar = try await f.get("/v1/products/1/similar?limit=3")
        XCTAssertEqual((similar.object["items"] as? [[String: Any]])?.count, 3)
        XCTAssertFalse((similar.object["items"] as? [[String: Any]] ?? []).contains { $0["product_id"] as? Int == 1 })

        let related = try await f.get("/v1/products/1/related")
        XCTAssertEqual((related.object["items"] as? [[String: Any]])?.compactMap { $0["product_id"] as? Int }, [2, 4, 7])
        let bought = try await f.get("/v1/products/1/bought-together?color=green")
        XCTAssertEqual((bought.object["items"] as? [[String: Any]])?.compactMap { $0["product_id"] as? Int }, [2, 4, 7])
        let trending = try await f.get("/v1/trending?category=Garden&limit=3")
        XCTAssertEqual((trending.object["items"] as? [[String: Any]])?.compactMap { $0["product_id"] as? Int }, [2, 4, 6])
        let facets = try await f.get("/v1/trending/facets/category")
        XCTAssertEqual((facets.object["facets"] as? [[String: Any]])?.compactMap { $0["value"] as? String }, ["Outdoor", "Garden"])
        let recent = try await f.get("/v1/customers/1/recently-viewed")
        XCTAssertEqual((recent.object["items"] as? [[String: Any]])?.compactMap { $0["product_id"] as? Int }, [3, 5])

        for (path, status, code) in [("/v1/customers/1/feed?per_page=0", 400, "invalid_parameter"),
                                     ("/v1/customers/x/feed", 400, "invalid_parameter"),
                                     ("/v1/customers/1/feed?sort=cheapest", 400, "invalid_parameter"),
                                     ("/v1/customers/1/feed?min_price=9&max_price=1", 400, "invalid_parameter"),
                                     ("/v1/customers/1/feed?max_price=abc", 400, "invalid_parameter"),
                                     ("/v1/customers/1/feed?exclude=1,%27;DROP", 400, "invalid_parameter"),
                                     ("/v1/products/999", 404, "product_not_found"),
                                     ("/v1/products/999/similar", 404, "product_not_found"),
                                     ("/v1/trending/facets/size", 400, "invalid_parameter"),
                                     ("/nope", 404, "not_found")] {
            let reply = try await f.get(path)
            XCTAssertEqual(reply.status, status, path)
            XCTAssertEqual(reply.object["code"] as? String, code, path)
            XCTAssertFalse((reply.object["message"] as? String ?? "").isEmpty, path)
        }

        let metrics = String(decoding: try await f.get("/metrics").data, as: UTF8.self)
        XCTAssertTrue(metrics.contains("tower_api_requests_total{route=\"/v1/customers/{customer}/feed\",method=\"GET\",status=\"200\"} 3"), metrics)
        XCTAssertTrue(metrics.contains("tower_api_request_duration_seconds_count{route=\"/v1/products/{product}\",status=\"404\"} 1"))
        XCTAssertTrue(metrics.contains("route=\"unmatched\""))
        let access = f.logLines.all.filter { $0.contains("\"msg\":\"request\"") }
        XCTAssertTrue(access.contains { $0.contains("\"path\":\"/v1/products/7\"") && $0.contains("\"status\":200") }, "\(access.prefix(3))")
    }

    func testAlgoliaRecommendModelsFiltersAndThreshold() async throws {
        let f = try ServeFixture("servealgolia")
        try await f.start(f.configuration())
        func recommend(_ request: [String: Any]) async throws -> (Int, [[String: Any]], [String: Any]) {
            var body = request
            body["indexName"] = "products"
            let reply = try await f.send("POST", "/1/indexes/*/recommendations", body: ["requests": [body]])
            let result = (reply.object["results"] as? [[String: Any]])?.first ?? [:]
            return (reply.status, result["hits"] as? [[String: Any]] ?? [], reply.object)
        }
        let (s1, forYou, _) = try await recommend(["model": "recommended-for-you", "threshold": 0, "maxRecommendations": 3,
                                                   "queryParameters": ["userToken": "1"]])
        XCTAssertEqual(s1, 200)
        XCTAssertEqual(forYou.first?["objectID"] as? String, "1")
        XCTAssertEqual(forYou.count, 3)
        XCTAssertEqual(forYou.first?["name"] as? String, "Product 1")
        let scores = forYou.compactMap { $0["_score"] as? Double }
        XCTAssertTrue(scores.allSatisfy { (0...100).contains($0) } && scores == scores.sorted(by: >), "\(scores)")

        let (_, similar, _) = try await recommend(["model": "looking-similar", "objectID": "1", "threshold": 0, "maxRecommendations": 5,
                                                  "queryParameters": ["facetFilters": ["categories:Garden"], "numericFilters": ["price<=40"]]])
        XCTAssertEqual(similar.count, 5)
        XCTAssertTrue(similar.allSatisfy { ($0["categories"] as? [String])?.first == "Garden" && ($0["price"] as? Double ?? 99) <= 40 })

        let (_, related, _) = try await recommend(["model": "related-products", "objectID": "1", "threshold": 40])
        XCTAssertEqual(related.compactMap { $0["objectID"] as? String }, ["2", "4"], "threshold 40 drops the 0.2 neighbour")
        XCTAssertEqual(related.first?["_score"] as? Double, 90)
        let (_, bought, _) = try await recommend(["model": "bought-together", "objectID": "1", "threshold": 0,
                                                 "queryParameters": ["filters": "color:green AND price:0 TO 100"]])
        XCTAssertEqual(bought.compactMap { $0["objectID"] as? String }, ["2", "4", "7"])
        let (_, trending, _) = try await recommend(["model": "trending-items", "threshold": 0, "facetName": "categories",
                                                   "facetValue": "Outdoor", "maxRecommendations": 2])
        XCTAssertEqual(trending.compactMap { $0["objectID"] as? String }, ["1", "3"])
        XCTAssertEqual(trending.first?["_score"] as? Double, 100)
        let (_, facetHits, _) = try await recommend(["model": "trending-facets", "facetName": "categories", "threshold": 0])
        XCTAssertEqual(facetHits.compactMap { $0["facetValue"] as? String }, ["Outdoor", "Garden"])
        XCTAssertEqual(facetHits.first?["facetName"] as? String, "categories")
        let (_, filled, _) = try await recommend(["model": "related-products", "objectID": "30", "threshold": 0, "maxRecommendations": 4,
                                                 "fallbackParameters": ["facetFilters": ["color:red"]]])
        XCTAssertEqual(filled.count, 4, "no neighbours: the fallback fills with popular red products")
        XCTAssertTrue(filled.allSatisfy { $0["color"] as? String == "red" && $0["_score"] as? Double == 0 })

        for bad: [String: Any] in [["model": "nope"], ["model": "related-products"], ["model": "recommended-for-you"],
                                    ["model": "looking-similar", "objectID": "1", "threshold": 101],
                                    ["model": "looking-similar", "objectID": "1", "queryParameters": ["facetFilters": ["size:XL"]]],
                                    ["model": "looking-similar", "objectID": "1", "queryParameters": ["filters": "color:red OR color:blue"]],
                                    ["model": "trending-facets"]] {
            let (status, _, body) = try await recommend(bad)
            XCTAssertEqual(status, 400, "\(bad)")
            XCTAssertTrue((body["message"] as? String ?? "").contains("requests[0]"), "\(body)")
        }
        let notJSON = try await f.send("POST", "/1/indexes/*/recommendations", body: ["requests": []])
        XCTAssertEqual(notJSON.status, 400)
    }
}
