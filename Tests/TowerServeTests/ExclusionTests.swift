import Foundation
import LibPQ
import XCTest
@testable import TowerServe

/// The feed's option to leave out the customer's own products, through both HTTP APIs, against the real server.
final class ExclusionTests: XCTestCase {
    func testExcludeHistoryLeavesOutTheCustomersProductsInBothAPIs() async throws {
        let f = try ServeFixture("serveexclude")
        // Customer 1 viewed 3 and 5 (the fixture) and puts 7 in the cart.
        try f.writer.execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
            VALUES (1, 7, 'product_added_to_cart', now() - interval '1 minute', 99)
            """)
        try await f.start(f.configuration())

        func feed(_ query: String) async throws -> (status: Int, ids: Set<Int>, total: Int?, body: [String: Any]) {
            let reply = try await f.get("/v1/customers/1/feed?per_page=40&total=true" + query)
            let ids = (reply.object["items"] as? [[String: Any]] ?? []).compactMap { $0["product_id"] as? Int }
            return (reply.status, Set(ids), reply.object["total"] as? Int, reply.object)
        }
        let all = try await feed("")
        XCTAssertEqual(all.ids.count, 40)
        XCTAssertTrue(all.ids.isSuperset(of: [3, 5, 7]))
        let carted = try await feed("&exclude_history=carted")
        XCTAssertEqual(carted.ids, all.ids.subtracting([7]))
        XCTAssertEqual(carted.total, 39)
        let interacted = try await feed("&exclude_history=interacted")
        XCTAssertEqual(interacted.ids, all.ids.subtracting([3, 5, 7]))
        XCTAssertEqual(interacted.total, 37)
        let viewed = try await feed("&exclude_history=events:view")
        XCTAssertEqual(viewed.ids, all.ids.subtracting([3, 5]))
        let popular = try await feed("&exclude_history=interacted&sort=popular")
        XCTAssertEqual(popular.ids, all.ids.subtracting([3, 5, 7]), "applies to explicit sorts too")
        let none = try await feed("&exclude_history=none")
        XCTAssertEqual(none.ids, all.ids)
        for bad in ["bought", "events:", "events:%00"] {
            let reply = try await feed("&exclude_history=" + bad)
            XCTAssertEqual(reply.status, 400, bad)
            XCTAssertEqual(reply.body["code"] as? String, "invalid_parameter", bad)
            XCTAssertTrue((reply.body["message"] as? String ?? "").contains("exclude_history"), "\(reply.body)")
        }

        func recommend(_ request: [String: Any]) async throws -> (status: Int, ids: Set<String>, body: [String: Any]) {
            var body = request
            body["indexName"] = "products"
            let reply = try await f.send("POST", "/1/indexes/*/recommendations", body: ["requests": [body]])
            let hits = (reply.object["results"] as? [[String: Any]])?.first?["hits"] as? [[String: Any]] ?? []
            return (reply.status, Set(hits.compactMap { $0["objectID"] as? String }), reply.object)
        }
        func forYou(_ exclude: String?) -> [String: Any] {
            var parameters: [String: Any] = ["userToken": "1"]
            parameters["excludeHistory"] = exclude
            return ["model": "recommended-for-you", "threshold": 0, "maxRecommendations": 40, "queryParameters": parameters]
        }
        let algoliaAll = try await recommend(forYou(nil))
        XCTAssertEqual(algoliaAll.status, 200)
        XCTAssertTrue(algoliaAll.ids.isSuperset(of: ["3", "5", "7"]))
        for (option, left) in [("carted", ["7"]), ("interacted", ["3", "5", "7"]), ("events:view", ["3", "5"])] {
            let reply = try await recommend(forYou(option))
            XCTAssertEqual(reply.ids, algoliaAll.ids.subtracting(left), option)
        }
        var filled = forYou("interacted")
        filled["queryParameters"] = ["userToken": "1", "excludeHistory": "interacted", "facetFilters": ["color:red"]]
        filled["fallbackParameters"] = [String: Any]()
        let withFill = try await recommend(filled)
        XCTAssertEqual(withFill.ids.count, 37, "the fallback fill completes the page without the customer's products")
        XCTAssertTrue(withFill.ids.isDisjoint(with: ["3", "5", "7"]))
        for bad: [String: Any] in [forYou("everything"),
                                    ["model": "related-products", "objectID": "1", "queryParameters": ["excludeHistory": "carted"]]] {
            let reply = try await recommend(bad)
            XCTAssertEqual(reply.status, 400, "\(bad)")
            XCTAssertTrue((reply.body["message"] as? String ?? "").contains("excludeHistory"), "\(reply.body)")
        }
    }
}
