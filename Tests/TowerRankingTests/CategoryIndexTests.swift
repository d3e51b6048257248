import Foundation
import LibPQ
import TowerRanking
import TowerStore
import XCTest

/// Per-category partial HNSW indexes (`CategoryVectorIndex`) and the policy that walks them.
final class CategoryIndexTests: XCTestCase {
    func testACategoryFilterWalksItsOwnIndexAndPagesStayComplete() throws {
        let f = try RankingFixture("catindex")
        let catalog = SyntheticCatalog(count: 3000)  // ten top-level categories of about 300 products
        try catalog.load(into: f.writer)
        try catalog.loadCustomers(1...3, into: f.writer)
        try f.writer.execute("ANALYZE products")
        let built = try CategoryVectorIndex(f.writer).create(minProducts: 200)
        XCTAssertEqual(built, (0..<10).map(SyntheticCatalog.topCategory))
        XCTAssertEqual(try CategoryVectorIndex(f.writer).create(minProducts: 200), [], "a second create finds them")
        XCTAssertEqual(try CategoryVectorIndex(f.writer).create(minProducts: 100_000), [], "no category that large")
        let category = SyntheticCatalog.topCategory(3)
        let indexName = try XCTUnwrap(try CategoryVectorIndex(f.writer).list()[category])

        let auto = f.ranker { $0.categoryIndexMinimum = 100; $0.maxPerPage = 5000 }
        XCTAssertEqual(try auto.vectorIndexStatus().categoryIndexes, Set(built))
        let exact = f.ranker { $0.vectorSearch = .exact; $0.maxPerPage = 5000 }
        let scansBefore = try indexScans(f.writer, indexName)
        let filters = RankingFilters(categoryPrefix: [category])
        for customer: Int64 in 1...3 {
            let truth = try exact.feed(customer: customer, filters: filters, perPage: 5000).items
            let whole = try auto.feed(customer: customer, filters: filters, perPage: 5000).items
            let paged = try allPages(auto, customer: customer, filters: filters, perPage: 40)
            XCTAssertEqual(paged, whole)
            XCTAssertEqual(paged.count, truth.count)
            XCTAssertEqual(Set(paged.map(\.productID)), Set(truth.map(\.productID)))
            XCTAssertEqual(Array(whole.prefix(20)).map(\.productID), Array(truth.prefix(20)).map(\.productID), "first page as exact")
        }
        try waitUntil("the category index was scanned") { try indexScans(f.writer, indexName) > scansBefore }
        // A subcategory leaves fewer candidates than the minimum: exact, whatever the index.
        let narrow = f.ranker { $0.categoryIndexMinimum = 2_000 }
        let sub = RankingFilters(categoryPrefix: [category, "sub37"])
        XCTAssertEqual(try narrow.feed(customer: 1, filters: sub).items, try exact.feed(customer: 1, filters: sub).items)

        XCTAssertEqual(try CategoryVectorIndex(f.writer).drop(), 10)
        XCTAssertEqual(try f.ranker().vectorIndexStatus().categoryIndexes, [])
    }
}
