import LibPQ
import TowerTestSupport
import XCTest

final class PreparedStatementTests: XCTestCase {
    func testPreparedStatementsRunRepeatedlyAndSurviveReconnect() throws {
        let db = try ScratchDatabase("prepared")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE kv (k text PRIMARY KEY, v bigint NOT NULL)")
        c.prepare("put", "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v")
        c.prepare("get", "SELECT v FROM kv WHERE k = $1")
        try c.query(prepared: "put", ["a", 1])
        try c.query(prepared: "put", ["b'; DROP TABLE kv; --", 2])
        XCTAssertEqual(try c.query(prepared: "get", ["a"])[0].decode(0, as: Int64.self), 1)
        XCTAssertEqual(try c.query(prepared: "get", ["b'; DROP TABLE kv; --"])[0].decode(0, as: Int64.self), 2)
        XCTAssertEqual(try c.query(prepared: "get", ["none"]).count, 0)

        // A new session has no server-side statements: the wrapper prepares them again on first use.
        try c.reconnect()
        try c.query(prepared: "put", ["a", 10])
        XCTAssertEqual(try c.query(prepared: "get", ["a"])[0].decode(0, as: Int64.self), 10)
        XCTAssertEqual(try c.query("SELECT count(*) FROM pg_prepared_statements")[0].decode(0, as: Int.self), 2)

        XCTAssertThrowsError(try c.query(prepared: "unknown")) {
            guard case .misuse? = $0 as? PQError else { return XCTFail("\($0)") }
        }
    }

    func testAPreparedStatementWithAnErrorIsReportedAndNotCached() throws {
        let db = try ScratchDatabase("preparedbad")
        defer { db.drop() }
        let c = try db.connect()
        c.prepare("bad", "SELECT * FROM not_yet_there")
        XCTAssertThrowsError(try c.query(prepared: "bad")) { XCTAssertEqual(($0 as? PQError)?.sqlState, .undefinedTable) }
        try c.execute("CREATE TABLE not_yet_there (x int)")
        XCTAssertEqual(try c.query(prepared: "bad").count, 0)
    }
}
