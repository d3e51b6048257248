import Foundation
import LibPQ
import TowerRanking
import TowerTestSupport
import XCTest

final class ErrorTests: XCTestCase {
    func testInvalidArgumentsAreTypedWithTheAllowedRange() throws {
        let f = try RankingFixture("errorsargs")
        let ranker = f.ranker { $0.maxPerPage = 500 }
        XCTAssertThrowsError(try ranker.feed(customer: 1, page: 0)) {
            XCTAssertEqual($0 as? RankingError, .invalidPage(0, allowed: 1...(Int.max / 20)))
        }
        XCTAssertThrowsError(try ranker.feed(customer: 1, perPage: 0)) {
            XCTAssertEqual($0 as? RankingError, .invalidPerPage(0, allowed: 1...500))
        }
        XCTAssertThrowsError(try ranker.feed(customer: 1, perPage: 501)) {
            XCTAssertEqual($0 as? RankingError, .invalidPerPage(501, allowed: 1...500))
            XCTAssertTrue("\($0)".contains("1…500"), "the message names the range")
        }
        XCTAssertThrowsError(try ranker.feed(customer: 1, filters: RankingFilters(minPrice: 10, maxPrice: 5))) {
            XCTAssertEqual($0 as? RankingError, .invalidPriceRange(min: 10, max: 5))
        }
        XCTAssertThrowsError(try ranker.feed(customer: 1, filters: RankingFilters(minPrice: .nan))) {
            guard case .invalidPriceRange = $0 as? RankingError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try ranker.feed(customer: 1, diversify: .maxPerCategory(0))) {
            guard case .invalidDiversity = $0 as? RankingError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try ranker.feed(customer: 1, diversify: .mmr(lambda: 1.5))) {
            guard case .invalidDiversity = $0 as? RankingError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try ranker.similar(to: 1, limit: 0)) {
            XCTAssertEqual($0 as? RankingError, .invalidPerPage(0, allowed: 1...500))
        }
    }

    func testSimilarToUnknownProductOrProductWithoutVector() throws {
        let f = try RankingFixture("errorssimilar")
        try f.insert([RankingFixture.Product(id: 5, merchant: "m", category: [], color: "red", price: nil, popularity: 0,
                                             createdAt: Date(), vector: nil)])
        let ranker = f.ranker()
        XCTAssertThrowsError(try ranker.similar(to: 404)) { XCTAssertEqual($0 as? RankingError, .productNotFound(404)) }
        XCTAssertThrowsError(try ranker.similar(to: 5)) { XCTAssertEqual($0 as? RankingError, .productHasNoVector(5)) }
    }

    func testDatabaseDownIsATypedErrorAfterBoundedRetries() async throws {
        // Nothing listens on port 1: every connection attempt is refused.
        var configuration = RankerConfiguration()
        configuration.retry = .init(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02)
        let ranker = Ranker(url: "postgresql://tower_ro@127.0.0.1:1/tower", configuration: configuration)
        let start = Date()
        do {
            _ = try await ranker.feed(customer: 1)
            XCTFail("expected an error")
        } catch let error as RankingError {
            guard case .databaseUnavailable = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("TOWER_READONLY_DATABASE_URL"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testConnectionsAreReplacedAfterTheServerDropsThem() throws {
        let f = try RankingFixture("errorsreconnect")
        try f.addRandomProducts(20)
        let ranker = f.ranker { $0.maxConnections = 2 }
        let before = try ranker.feed(customer: 1)
        // Terminate the ranker's sessions (the pooled connections are now dead); only a superuser may.
        let admin = try PQConnection(url: TestEnvironment.url(try TestEnvironment.require("TOWER_ADMIN_DATABASE_URL"),
                                                                    database: f.db.name))
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND usename = 'tower_ro' AND pid <> pg_backend_pid()
            """)
        XCTAssertEqual(try ranker.feed(customer: 1), before)
    }

    func testStatementTimeoutIsTyped() throws {
        let f = try RankingFixture("errorstimeout")
        try f.addRandomProducts(20)
        try f.addCustomer(1, vector: f.randomUnitVector())
        // Hold a lock that the ranker's read waits on longer than its statement timeout.
        let locker = try f.db.connect()
        try locker.execute("BEGIN")
        try locker.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        defer { _ = try? locker.execute("ROLLBACK") }
        let ranker = f.ranker { $0.statementTimeout = 0.2 }
        XCTAssertThrowsError(try ranker.feed(customer: 1)) {
            XCTAssertEqual($0 as? RankingError, .timedOut(seconds: 0.2))
        }
    }
}
