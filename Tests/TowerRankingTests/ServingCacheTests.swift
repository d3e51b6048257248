import Foundation
import LibPQ
import Synchronization
@testable import TowerRanking
import XCTest

/// `ExpiringCache` (pure logic, a hand-driven clock) and `RankingFilters.matches` against PostgreSQL's filtering.
final class ServingCacheTests: XCTestCase {
    private final class Clock: Sendable {
        let now = Mutex(0.0)
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
        var read: @Sendable () -> Double { { self.now.withLock { $0 } } }
    }

    func testEntriesExpireAfterTheTTL() {
        let clock = Clock()
        let cache = ExpiringCache<Int, String>(capacity: 10, ttl: 60, clock: clock.read)
        cache.store(["one", "two"].enumerated().reduce(into: [:]) { $0[$1.offset] = $1.element })
        clock.advance(59)
        XCTAssertEqual(cache.values(for: [0, 1, 2]), [0: "one", 1: "two"])
        cache.store("again", for: 1)
        clock.advance(1)
        XCTAssertNil(cache.value(for: 0), "stored 60 s ago")
        XCTAssertEqual(cache.value(for: 1), "again", "stored 1 s ago")
        let never = ExpiringCache<Int, String>(capacity: 10, ttl: 0, clock: clock.read)
        never.store("now", for: 0)
        XCTAssertNil(never.value(for: 0), "TTL 0: nothing is served from the cache")
    }

    func testCapacityBoundsTheEntriesAndKeepsTheOnesInUse() {
        let cache = ExpiringCache<Int, Int>(capacity: 8, ttl: 60)
        for i in 0..<4 { cache.store(i, for: i) }
        XCTAssertEqual(cache.value(for: 0), 0)  // in use: survives the turnovers below
        for i in 4..<100 {
            cache.store(i, for: i)
            XCTAssertLessThanOrEqual(cache.count, 8)
            if i % 3 == 0 { XCTAssertEqual(cache.value(for: 0), 0, "after storing \(i)") }
        }
        XCTAssertEqual(cache.value(for: 99), 99)
        XCTAssertNil(cache.value(for: 50), "evicted")
        let off = ExpiringCache<Int, Int>(capacity: 0, ttl: 60)
        off.store(1, for: 1)
        XCTAssertNil(off.value(for: 1))
        XCTAssertEqual(off.count, 0)
    }

    /// `matches` keeps exactly the products PostgreSQL's filter conditions keep (with `embedding IS NOT NULL`).
    func testFiltersMatchInSwiftAsInSQL() throws {
        let f = try RankingFixture("cachefilters")
        let products = try f.addRandomProducts(400)
        let ids = products.map(\.id)
        let facts = try ProductFacts.decode(f.writer.query(ProductFacts.statement(ids).sql, ProductFacts.statement(ids).parameters))
        XCTAssertEqual(facts.count, products.count)
        let cases: [RankingFilters] = [
            .none, RankingFilters(categoryPrefix: ["clothing"]), RankingFilters(categoryPrefix: ["home", "b"]),
            RankingFilters(categoryPrefix: ["home", "b", "leaf1"]), RankingFilters(categoryPrefix: ["home", "b", "leaf1", "deeper"]),
            RankingFilters(categoryPrefix: ["b"]), RankingFilters(merchant: "m2"), RankingFilters(color: "red"),
            RankingFilters(minPrice: 20), RankingFilters(maxPrice: 35.5), RankingFilters(minPrice: 10, maxPrice: 20),
            RankingFilters(categoryPrefix: ["garden"], merchant: "m1", maxPrice: 60, color: "blue"),
            RankingFilters(productIDs: Array(ids.prefix(50))), RankingFilters(excludedProductIDs: Array(ids.suffix(100))),
        ]
        for filters in cases {
            var sql = SQLBuilder()
            filters.apply(to: &sql)
            sql.require("p.embedding IS NOT NULL")
            let kept = Set(try f.writer.query("SELECT product_id FROM products p \(sql.whereClause)", sql.parameters).rows
                .map { try $0.decode(0, as: Int64.self) })
            let none = filters.categoryPrefix.count > 3 || filters.categoryPrefix == ["b"]  // no such path
            XCTAssertEqual(kept.isEmpty, none, "\(filters)")
            XCTAssertEqual(Set(facts.filter { filters.matches($0.key, $0.value) }.keys), kept, "\(filters)")
        }
    }

    /// The scanned categories' cache: one read claimed at a time, at most `maxProducts` products in all (the oldest
    /// entries go first), a category too large remembered as such.
    func testCategoryScanCacheClaimsOneReadAndBoundsTheProducts() {
        func members(_ n: Int) -> CategoryMembers {
            CategoryMembers(table: ProductTable((0..<Int64(n)).map { ($0, ProductFacts.sample(vector: [1, 0]), [1, 0]) }))
        }
        let cache = CategoryScanCache(maxProducts: 10, ttl: 60)
        XCTAssertTrue(cache.claim("a"))
        XCTAssertFalse(cache.claim("a"), "a read is under way")
        cache.store(members(6), for: "a")
        XCTAssertEqual(cache.value(for: "a")?.count, 6)
        XCTAssertTrue(cache.claim("b"))
        cache.store(members(5), for: "b")
        XCTAssertNil(cache.value(for: "a"), "11 products: the oldest entry went")
        XCTAssertEqual(cache.value(for: "b")?.count, 5)
        XCTAssertTrue(cache.claim("c"))
        cache.store(CategoryMembers(table: nil), for: "c")
        XCTAssertNotNil(cache.value(for: "c"), "too large: remembered, so it is not read again within the TTL")
        XCTAssertNil(cache.value(for: "c")?.table)
        XCTAssertTrue(cache.claim("c"), "the claim ended with the store")
        cache.release("c")
        XCTAssertTrue(cache.claim("c"), "and with a release")
        XCTAssertFalse(CategoryScanCache(maxProducts: 0, ttl: 60).claim("a"), "caches off: never read")
        let expired = CategoryScanCache(maxProducts: 10, ttl: 0)
        expired.store(members(1), for: "a")
        XCTAssertNil(expired.value(for: "a"))
    }
}
