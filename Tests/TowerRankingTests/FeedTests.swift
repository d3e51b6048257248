import Foundation
import TowerRanking
import XCTest

final class FeedTests: XCTestCase {
    func testPersonalizedOrderMatchesBruteForceCosine() throws {
        let f = try RankingFixture("feedexact")
        try f.addRandomProducts(300)
        let user = f.randomUnitVector()
        try f.addCustomer(1, vector: user)
        let page = try f.ranker().feed(customer: 1, perPage: 1000, includeTotal: true)
        let expected = f.bruteForce(user)
        XCTAssertEqual(page.mode, .personalized)
        XCTAssertEqual(page.total, expected.count)
        XCTAssertTrue(page.items.allSatisfy { $0.reason == .personalized && $0.score > 0 })
        RankingFixture.assertMatches(page.items, expected)
    }

    func testEqualScoresAreOrderedByProductID() throws {
        let f = try RankingFixture("feedties")
        let shared = f.randomUnitVector()
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        try f.insert([9, 3, 7, 1, 5].map {
            RankingFixture.Product(id: $0, merchant: "m", category: ["c"], color: "red", price: 1, popularity: 0,
                                   createdAt: base, vector: shared)
        })
        try f.addCustomer(1, vector: f.randomUnitVector())
        let page = try f.ranker().feed(customer: 1)
        XCTAssertEqual(page.items.map(\.productID), [1, 3, 5, 7, 9])
        XCTAssertEqual(Set(page.items.map(\.score)).count, 1)
    }

    func testCustomerWithoutVectorGetsPopularityThenRecencyThenID() throws {
        let f = try RankingFixture("feedfallback")
        try f.addRandomProducts(200)
        try f.addCustomer(1, vector: f.randomUnitVector())
        let page = try f.ranker().feed(customer: 999, perPage: 1000, includeTotal: true)
        XCTAssertEqual(page.mode, .fallback)
        XCTAssertEqual(page.items.map(\.productID), f.popularityOrder())
        XCTAssertEqual(page.total, f.popularityOrder().count)
        XCTAssertTrue(page.items.allSatisfy { $0.reason == .popular })
        let popularity = Dictionary(uniqueKeysWithValues: f.products.map { ($0.id, $0.popularity) })
        XCTAssertEqual(page.items.map(\.score), page.items.map { popularity[$0.productID]! })
    }

    func testExplicitSortsIgnoreTheCustomerVector() throws {
        let f = try RankingFixture("feedsorts")
        try f.addRandomProducts(150)
        try f.addCustomer(1, vector: f.randomUnitVector())
        let ranker = f.ranker()
        let priced = f.products.filter { $0.active && $0.price != nil }

        let ascending = try ranker.feed(customer: 1, sort: .priceAscending, perPage: 1000)
        XCTAssertEqual(ascending.mode, .sorted)
        XCTAssertEqual(ascending.items.map(\.productID),
                       priced.sorted { ($0.price!, $0.id) < ($1.price!, $1.id) }.map(\.id))
        XCTAssertEqual(ascending.items.map(\.score), priced.map(\.price!).sorted())
        XCTAssertTrue(ascending.items.allSatisfy { $0.reason == .sorted })

        let descending = try ranker.feed(customer: 1, sort: .priceDescending, perPage: 1000)
        XCTAssertEqual(descending.items.map(\.productID),
                       priced.sorted { $0.price! != $1.price! ? $0.price! > $1.price! : $0.id < $1.id }.map(\.id))

        let newest = try ranker.feed(customer: 1, sort: .newest, perPage: 1000)
        XCTAssertEqual(newest.items.map(\.productID),
                       f.products.filter(\.active).sorted { ($0.createdAt, -$0.id) > ($1.createdAt, -$1.id) }.map(\.id))
        XCTAssertEqual(newest.items.first?.score ?? 0, newest.items.map(\.score).max() ?? 0)

        let popular = try ranker.feed(customer: 1, sort: .popular, perPage: 1000)
        XCTAssertEqual(popular.mode, .sorted)
        XCTAssertEqual(popular.items.map(\.productID), f.popularityOrder())
        XCTAssertTrue(popular.items.allSatisfy { $0.reason == .popular })
    }

    func testPersonalizedSkipsInactiveProductsAndProductsWithoutVector() throws {
        let f = try RankingFixture("feedskip")
        let added = try f.addRandomProducts(200)
        XCTAssertTrue(added.contains { !$0.active } && added.contains { $0.vector == nil }, "fixture covers both cases")
        try f.addCustomer(1, vector: f.randomUnitVector())
        let ids = Set(try f.ranker().feed(customer: 1, perPage: 1000).items.map(\.productID))
        let eligible = Set(added.filter { $0.active && $0.vector != nil }.map(\.id))
        XCTAssertEqual(ids, eligible)
    }

    func testAsyncFeedFromManyConcurrentTasksSharesASmallPool() async throws {
        let f = try RankingFixture("feedconcurrent")
        try f.addRandomProducts(100)
        try f.addCustomer(1, vector: f.randomUnitVector())
        let ranker = f.ranker { $0.maxConnections = 2 }
        let expected = try await ranker.feed(customer: 1, perPage: 10)
        let pages = try await withThrowingTaskGroup(of: FeedPage.self) { group in
            for i in 0..<40 {
                group.addTask { try await ranker.feed(customer: i % 2 == 0 ? 1 : 2, perPage: 10) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(pages.count, 40)
        XCTAssertEqual(pages.filter { $0.customerID == 1 }.map(\.items), Array(repeating: expected.items, count: 20))
        XCTAssertTrue(pages.filter { $0.customerID == 2 }.allSatisfy { $0.mode == .fallback })
    }
}
