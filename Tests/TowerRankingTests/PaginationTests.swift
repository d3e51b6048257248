import TowerRanking
import XCTest

final class PaginationTests: XCTestCase {
    func testPagesConcatenateToTheFullOrderingWithoutDuplicates() throws {
        let f = try RankingFixture("pages")
        try f.addRandomProducts(230)
        try f.addCustomer(1, vector: f.randomUnitVector())
        let ranker = f.ranker()
        for (customer, sort) in [(Int64(1), RankingSort.relevance), (2, .relevance), (1, .priceAscending), (1, .newest)] {
            let full = try ranker.feed(customer: customer, sort: sort, perPage: 1000).items
            for perPage in [7, 20, 50] {
                var concatenated: [RankedItem] = []
                var page = 1
                while true {
                    let p = try ranker.feed(customer: customer, sort: sort, page: page, perPage: perPage)
                    XCTAssertLessThanOrEqual(p.items.count, perPage)
                    concatenated += p.items
                    if p.items.count < perPage { break }
                    page += 1
                }
                XCTAssertEqual(concatenated, full, "\(sort) per page \(perPage)")
                XCTAssertEqual(Set(concatenated.map(\.productID)).count, concatenated.count)
            }
        }
    }

    func testPageBeyondTheEndIsEmpty() throws {
        let f = try RankingFixture("pagesend")
        try f.addRandomProducts(10)
        let page = try f.ranker().feed(customer: 1, page: 50, perPage: 20, includeTotal: true)
        XCTAssertEqual(page.items, [])
        XCTAssertEqual(page.total, f.popularityOrder().count)
    }
}
