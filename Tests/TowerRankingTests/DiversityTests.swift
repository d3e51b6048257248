import TowerRanking
import XCTest

final class DiversityTests: XCTestCase {
    func testMaxPerCategoryCapsEveryPageAndKeepsPagesConsistent() throws {
        let f = try RankingFixture("diversitycap")
        let added = try f.addRandomProducts(300)
        try f.addCustomer(1, vector: f.randomUnitVector())
        let ranker = f.ranker { $0.diversityWindow = 100 }
        let category = Dictionary(uniqueKeysWithValues: added.map { ($0.id, $0.category) })
        let plain = try ranker.feed(customer: 1, perPage: 1000).items
        var pages: [[RankedItem]] = []
        for page in 1...8 {
            pages.append(try ranker.feed(customer: 1, page: page, perPage: 10, diversify: .maxPerCategory(2)).items)
        }
        // Window of 100 = pages 1…10: each page of the window has at most 2 per category (18 categories exist).
        for (i, page) in pages.enumerated() {
            let counts = Dictionary(grouping: page, by: { category[$0.productID]! }).mapValues(\.count)
            XCTAssertLessThanOrEqual(counts.values.max() ?? 0, 2, "page \(i + 1)")
        }
        let all = pages.flatMap { $0 }
        XCTAssertEqual(Set(all.map(\.productID)).count, all.count, "no product on two pages")
        XCTAssertTrue(Set(all.map(\.productID)).isSubset(of: Set(plain.prefix(100).map(\.productID))), "taken from the window")
        XCTAssertNotEqual(all.map(\.productID), Array(plain.prefix(80)).map(\.productID), "the order changed")
        XCTAssertEqual(try ranker.feed(customer: 1, page: 3, perPage: 10, diversify: .maxPerCategory(2)).items, pages[2],
                       "deterministic")
        // Past the window: the plain order continues.
        XCTAssertEqual(try ranker.feed(customer: 1, page: 11, perPage: 10, diversify: .maxPerCategory(2)).items,
                       Array(plain[100..<110]))
    }

    func testMMRTradesRelevanceForVariety() throws {
        let f = try RankingFixture("diversitymmr")
        // Clusters of near-duplicates: a plain feed shows one cluster after another.
        let base = (0..<6).map { _ in f.randomUnitVector() }
        var products: [RankingFixture.Product] = []
        for i in 0..<120 {
            let center = base[i % 6]
            let noise = f.randomUnitVector()
            let v = zip(center, noise).map { $0 + 0.1 * $1 }
            products.append(.init(id: Int64(i + 1), merchant: "m", category: ["c\(i % 6)"], color: "red", price: 1,
                                  popularity: 0, createdAt: .init(timeIntervalSince1970: 0), vector: v))
        }
        try f.insert(products)
        let user = zip(base[0], base[1]).map { 0.7 * $0 + 0.3 * $1 }
        try f.addCustomer(1, vector: user)
        let ranker = f.ranker()
        let plain = try ranker.feed(customer: 1, perPage: 10).items
        XCTAssertEqual(try ranker.feed(customer: 1, perPage: 10, diversify: .mmr(lambda: 1)).items, plain, "λ = 1 is the plain order")
        let diverse = try ranker.feed(customer: 1, perPage: 10, diversify: .mmr(lambda: 0.3)).items
        func clusters(_ items: [RankedItem]) -> Int { Set(items.map { ($0.productID - 1) % 6 }).count }
        XCTAssertEqual(clusters(plain), 1)
        XCTAssertGreaterThan(clusters(diverse), 2)
        XCTAssertEqual(diverse.first, plain.first, "the most relevant product still leads")
        let second = try ranker.feed(customer: 1, page: 2, perPage: 10, diversify: .mmr(lambda: 0.3)).items
        XCTAssertTrue(Set(second.map(\.productID)).isDisjoint(with: diverse.map(\.productID)))
    }

    func testExplicitSortsAreNotDiversified() throws {
        let f = try RankingFixture("diversitysorted")
        try f.addRandomProducts(60)
        let ranker = f.ranker()
        XCTAssertEqual(try ranker.feed(customer: 1, sort: .priceAscending, diversify: .maxPerCategory(1)).items,
                       try ranker.feed(customer: 1, sort: .priceAscending).items)
    }
}
