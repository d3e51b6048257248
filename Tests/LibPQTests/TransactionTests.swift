import LibPQ
import TowerTestSupport
import XCTest

final class TransactionTests: XCTestCase {
    private struct Abort: Error {}

    func testCommitOnReturnAndRollbackOnError() throws {
        let db = try ScratchDatabase("tx")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE t (id int PRIMARY KEY)")
        let returned = try c.transaction { () -> Int in
            try c.execute("INSERT INTO t VALUES (1)")
            return 7
        }
        XCTAssertEqual(returned, 7)

        XCTAssertThrowsError(try c.transaction {
            try c.execute("INSERT INTO t VALUES (2)")
            throw Abort()
        }) { XCTAssertTrue($0 is Abort) }

        XCTAssertThrowsError(try c.transaction {
            try c.execute("INSERT INTO t VALUES (3)")
            try c.execute("INSERT INTO t VALUES (1)") // unique violation: the whole transaction goes
        }) { XCTAssertEqual(($0 as? PQError)?.sqlState, .uniqueViolation) }

        let ids = try c.query("SELECT id FROM t ORDER BY id").rows.map { try $0.decode(0, as: Int.self) }
        XCTAssertEqual(ids, [1])
        // Back outside a transaction block: SAVEPOINT is refused there (25P01 no_active_sql_transaction).
        XCTAssertThrowsError(try c.execute("SAVEPOINT s")) { XCTAssertEqual(($0 as? PQError)?.sqlState?.rawValue, "25P01") }
    }

    func testReadOnlyTransactionRejectsWrites() throws {
        let db = try ScratchDatabase("txro")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE t (id int)")
        XCTAssertThrowsError(try c.transaction(readOnly: true) { try c.execute("INSERT INTO t VALUES (1)") }) {
            XCTAssertEqual(($0 as? PQError)?.sqlState, .readOnlySQLTransaction)
        }
        XCTAssertEqual(try c.transaction(readOnly: true) { try c.query("SELECT count(*) FROM t")[0].decode(0, as: Int.self) }, 0)
    }
}
