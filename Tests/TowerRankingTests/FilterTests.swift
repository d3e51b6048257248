import TowerRanking
import XCTest

final class FilterTests: XCTestCase {
    /// Each filter, alone and combined, in personalized and fallback modes, against the reference.
    func testEveryFilterMatchesTheReference() throws {
        let f = try RankingFixture("filters")
        try f.addRandomProducts(400)
        let user = f.randomUnitVector()
        try f.addCustomer(1, vector: user)
        let ranker = f.ranker()
        let someIDs = f.products.map(\.id).filter { $0 % 3 == 0 }
        let excluded = f.products.map(\.id).filter { $0 % 4 == 0 }
        let cases: [(String, RankingFilters, (RankingFixture.Product) -> Bool)] = [
            ("top category", RankingFilters(categoryPrefix: ["home"]), { $0.category.first == "home" }),
            ("two levels", RankingFilters(categoryPrefix: ["home", "b"]), { Array($0.category.prefix(2)) == ["home", "b"] }),
            ("prefix is positional", RankingFilters(categoryPrefix: ["b"]), { $0.category.first == "b" }),
            ("merchant", RankingFilters(merchant: "m2"), { $0.merchant == "m2" }),
            ("min price", RankingFilters(minPrice: 50), { ($0.price ?? -1) >= 50 }),
            ("max price", RankingFilters(maxPrice: 20), { $0.price.map { $0 <= 20 } ?? false }),
            ("price range", RankingFilters(minPrice: 10, maxPrice: 30), { $0.price.map { (10...30).contains($0) } ?? false }),
            ("color", RankingFilters(color: "blue"), { $0.color == "blue" }),
            ("allow list", RankingFilters(productIDs: someIDs), { someIDs.contains($0.id) }),
            ("empty allow list", RankingFilters(productIDs: []), { _ in false }),
            ("exclude", RankingFilters(excludedProductIDs: excluded), { !excluded.contains($0.id) }),
            ("combined", RankingFilters(categoryPrefix: ["clothing"], merchant: "m1", maxPrice: 80, color: "red",
                                        excludedProductIDs: excluded),
             { $0.category.first == "clothing" && $0.merchant == "m1" && ($0.price.map { $0 <= 80 } ?? false)
                 && $0.color == "red" && !excluded.contains($0.id) }),
        ]
        for (name, filters, keep) in cases {
            let personalized = try ranker.feed(customer: 1, filters: filters, perPage: 1000, includeTotal: true)
            let expected = f.bruteForce(user, where: keep)
            XCTAssertEqual(personalized.total, expected.count, name)
            RankingFixture.assertMatches(personalized.items, expected)
            let fallback = try ranker.feed(customer: 2, filters: filters, perPage: 1000, includeTotal: true)
            XCTAssertEqual(fallback.items.map(\.productID), f.popularityOrder(where: keep), name)
            XCTAssertEqual(fallback.total, f.popularityOrder(where: keep).count, name)
            if name == "color" { XCTAssertGreaterThan(expected.count, 10, "the fixture gives filters something to do") }
        }
    }
}
