import LibPQ
@testable import TowerRanking
import TowerTestSupport
import XCTest

/// How a request's batches map onto PostgreSQL transactions (`ReadSession`), on the real server.
final class ReadSessionTests: XCTestCase {
    func testAFirstBatchAloneIsOneImplicitReadOnlyRepeatableReadTransactionAndLaterBatchesOpenAnother() throws {
        let f = try RankingFixture("readsession")
        let connection = try PQConnection(url: f.db.readOnlyURL, settings: ReadSession.sessionSettings)
        let configuration = RankerConfiguration()
        let session = ReadSession(connection: connection, configuration: configuration, indexCache: VectorIndexCache(interval: 60),
                                  caches: ServingCaches(configuration: configuration))
        let clock = Statement("""
            SELECT extract(epoch FROM now())::float8, extract(epoch FROM statement_timestamp())::float8,
                   current_setting('transaction_isolation'), current_setting('transaction_read_only'), current_setting('jit')
            """)
        func times(_ r: PQResult) throws -> (transaction: Double, statement: Double) { (try r[0].decode(0), try r[0].decode(1)) }

        let first = try session.batch([clock, Statement("SELECT pg_sleep(0.05)"), clock], alone: true)
        let (a, b) = (try times(first[0]), try times(first[2]))
        XCTAssertEqual(a.transaction, b.transaction, "one transaction for the whole batch")
        XCTAssertGreaterThan(b.statement - a.statement, 0.04, "its statements ran 50 ms apart")
        XCTAssertEqual(try first[0][0].decode(2, as: String.self), "repeatable read")
        XCTAssertEqual(try first[0][0].decode(3, as: String.self), "on")
        XCTAssertEqual(try first[0][0].decode(4, as: String.self), "off")
        XCTAssertFalse(session.began, "no BEGIN went out")

        Thread.sleep(forTimeInterval: 0.02)
        let second = try session.batch([clock], alone: true)  // not the first: it joins (opens) the request's transaction
        XCTAssertTrue(session.began)
        XCTAssertGreaterThan(try times(second[0]).transaction, b.statement, "a transaction of its own, begun after the first ended")
        let third = try session.batch([clock])
        XCTAssertEqual(try times(third[0]).transaction, try times(second[0]).transaction, "later batches share it")
        try session.finish()
        XCTAssertEqual(try connection.query("SELECT current_setting('transaction_read_only')")[0].decode(0, as: String.self), "on",
                       "the session's default")
    }
}
