import LibPQ
import TowerRanking
import TowerTestSupport
import XCTest

final class ReadOnlyRoleTests: XCTestCase {
    func testReadOnlyRoleRanksButCannotWrite() throws {
        let f = try RankingFixture("readonly")
        try f.addRandomProducts(50)
        let user = f.randomUnitVector()
        try f.addCustomer(1, vector: user)
        // The ranker (built on the tower_ro URL) ranks in every mode.
        let ranker = f.ranker()
        RankingFixture.assertMatches(try ranker.feed(customer: 1, perPage: 100).items, f.bruteForce(user))
        XCTAssertEqual(try ranker.feed(customer: 2, perPage: 100).mode, .fallback)
        XCTAssertNotNil(try ranker.product(1))
        // The same role cannot change anything.
        let ro = try PQConnection(url: f.db.readOnlyURL)
        XCTAssertThrowsError(try ro.execute("UPDATE products SET popularity = 1")) {
            XCTAssertEqual(($0 as? PQError)?.sqlState, .insufficientPrivilege)
        }
        XCTAssertThrowsError(try ro.execute("DELETE FROM user_vectors")) {
            XCTAssertEqual(($0 as? PQError)?.sqlState, .insufficientPrivilege)
        }
    }

    func testProductLookupReturnsTheStoredVector() throws {
        let f = try RankingFixture("productlookup")
        let added = try f.addRandomProducts(5)
        let ranker = f.ranker()
        for p in added {
            let stored = try XCTUnwrap(try ranker.product(p.id))
            XCTAssertEqual(stored.vector, p.vector)
            XCTAssertEqual(stored.categoryPath, p.category)
            XCTAssertEqual(stored.price, p.price)
            XCTAssertEqual(stored.active, p.active)
            XCTAssertEqual(stored.createdAt, p.createdAt.timeIntervalSince1970, accuracy: 1e-6)
        }
        XCTAssertNil(try ranker.product(999))
    }
}
