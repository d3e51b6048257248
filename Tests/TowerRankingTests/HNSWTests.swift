import Foundation
import LibPQ
import TowerRanking
import TowerStore
import XCTest

/// The HNSW path at 100,000 products (about a minute: most of it is the index build).
final class HNSWTests: XCTestCase {
    func testHNSWAtOneHundredThousandProducts() throws {
        let f = try RankingFixture("hnsw")
        let catalog = SyntheticCatalog(count: 100_000)
        try catalog.load(into: f.writer)
        let customers = 40
        try catalog.loadCustomers(1...customers, into: f.writer)
        var options = VectorIndex.Options()
        options.maintenanceWorkMem = "2GB"
        XCTAssertTrue(try VectorIndex(f.writer).create(options))
        XCTAssertFalse(try VectorIndex(f.writer).create(options), "a second create finds the index")

        let exact = f.ranker { $0.vectorSearch = .exact }
        let approximate = f.ranker { $0.vectorSearch = .default }  // 100,000 ≥ the automatic threshold
        let status = try approximate.vectorIndexStatus()
        XCTAssertTrue(status.hasIndex)
        XCTAssertTrue(status.usesIndex(.default), "\(status)")

        // Recall@20 of the index against the exact order.
        let scansBefore = try indexScans(f.writer, VectorIndex.name)
        var found = 0
        for customer in 1...Int64(customers) {
            let truth = Set(try exact.feed(customer: customer).items.map(\.productID))
            let page = try approximate.feed(customer: customer)
            XCTAssertEqual(page.items.count, 20)
            found += page.items.filter { truth.contains($0.productID) }.count
        }
        let recall = Double(found) / Double(customers * 20)
        XCTAssertGreaterThanOrEqual(recall, 0.95, "recall@20")
        try waitUntil("the approximate feeds used the HNSW index") { try indexScans(f.writer, VectorIndex.name) >= scansBefore + customers }

        // With the index forced, pages are slices of one deterministic order: no overlap, no gap, full pages,
        // also when filters make the iterative scan go far.
        let forced = f.ranker { $0.vectorSearch = .approximate }
        for filters in [RankingFilters.none, RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(3)]),
                        RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(3), "sub37"])] {
            let whole = try forced.feed(customer: 1, filters: filters, perPage: 100).items
            XCTAssertEqual(whole.count, 100)
            var pages: [RankedItem] = []
            for page in 1...5 { pages += try forced.feed(customer: 1, filters: filters, page: page, perPage: 20).items }
            XCTAssertEqual(pages, whole, "\(filters)")
            let deep = try forced.feed(customer: 1, filters: filters, page: 10, perPage: 20).items
            XCTAssertEqual(deep.count, 20, "page 10 is full")
            XCTAssertTrue(Set(deep.map(\.productID)).isDisjoint(with: whole.map(\.productID)))
            for item in whole + deep {
                let cluster = catalog.cluster(of: item.productID)
                if let top = filters.categoryPrefix.first { XCTAssertEqual(SyntheticCatalog.topCategory(cluster / 100), top) }
                if filters.categoryPrefix.count > 1 { XCTAssertEqual("sub\(cluster / 10)", filters.categoryPrefix[1]) }
            }
        }

        // The automatic policy ranks a filter that leaves fewer candidates than its threshold exactly.
        let narrow = RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(3)])  // about 10,000 products
        XCTAssertEqual(try approximate.feed(customer: 2, filters: narrow).items, try exact.feed(customer: 2, filters: narrow).items)
        // When the index's stream ends early (here: a tiny scan budget and a rare filter), the exact order of
        // the rest continues it: full pages, each matching product once, pages consistent with each other.
        let starved = f.ranker { $0.vectorSearch = .approximate; $0.maxScanTuples = 1 }
        let rare = RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(3), "sub37"], merchant: "merchant7")  // about 40
        let all = try exact.feed(customer: 2, filters: rare, perPage: 1000).items
        XCTAssertGreaterThan(all.count, 20)
        let oneCall = try starved.feed(customer: 2, filters: rare, perPage: 1000).items
        var paged: [RankedItem] = []
        for page in 1... {
            let items = try starved.feed(customer: 2, filters: rare, page: page, perPage: 7).items
            paged += items
            if items.count < 7 { break }
        }
        XCTAssertEqual(paged, oneCall)
        XCTAssertEqual(Set(paged.map(\.productID)), Set(all.map(\.productID)))
        XCTAssertEqual(paged.count, all.count)
    }

    /// On a small catalog with the index forced, paging to the end yields every matching product exactly
    /// once, in pages that agree with one large request, with and without filters.
    func testForcedHNSWPagesAreCompleteAndConsistent() throws {
        let f = try RankingFixture("hnswsmall")
        let catalog = SyntheticCatalog(count: 3000)
        try catalog.load(into: f.writer)
        try catalog.loadCustomers(1...3, into: f.writer)
        try VectorIndex(f.writer).create()
        let forced = f.ranker { $0.vectorSearch = .approximate; $0.maxScanTuples = 500; $0.maxPerPage = 5000 }
        let exact = f.ranker { $0.vectorSearch = .exact; $0.maxPerPage = 5000 }
        for filters in [RankingFilters.none, RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(3)]),
                        RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(5)], color: "red")] {
            for customer: Int64 in 1...3 {
                let truth = try exact.feed(customer: customer, filters: filters, perPage: 5000).items
                let whole = try forced.feed(customer: customer, filters: filters, perPage: 5000).items
                let paged = try allPages(forced, customer: customer, filters: filters, perPage: 25)
                XCTAssertEqual(paged, whole, "\(filters)")
                XCTAssertEqual(paged.count, truth.count)
                XCTAssertEqual(Set(paged.map(\.productID)), Set(truth.map(\.productID)))
            }
        }
    }
}
