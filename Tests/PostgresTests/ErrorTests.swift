import Foundation
import Postgres
import TowerTestSupport
import XCTest

/// Server errors carry their SQLSTATE; connection problems are typed and transient.
final class ErrorTests: XCTestCase {
    func testUniqueViolationAndBadQueriesMapToSQLState() throws {
        let db = try ScratchDatabase("errors")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE u (id bigint PRIMARY KEY)")
        try c.execute("INSERT INTO u VALUES ($1)", [1])
        XCTAssertThrowsError(try c.execute("INSERT INTO u VALUES ($1)", [1])) { e in
            let pe = e as? PostgresError
            XCTAssertEqual(pe?.sqlState, .uniqueViolation)
            XCTAssertEqual(pe?.sqlState?.errorClass, "23")
            XCTAssertEqual(pe?.isTransient, false)
            XCTAssertTrue(pe?.description.contains("23505") ?? false, pe?.description ?? "")
            guard case .server(let server)? = pe else { return XCTFail("not a server error: \(e)") }
            XCTAssertEqual(server.detail, "Key (id)=(1) already exists.")
        }
        XCTAssertThrowsError(try c.query("SELEC 1")) { XCTAssertEqual(($0 as? PostgresError)?.sqlState, .syntaxError) }
        XCTAssertThrowsError(try c.query("SELECT nope FROM u")) { XCTAssertEqual(($0 as? PostgresError)?.sqlState, .undefinedColumn) }
        XCTAssertThrowsError(try c.query("SELECT 1 FROM missing_table")) { e in
            XCTAssertEqual((e as? PostgresError)?.sqlState, .undefinedTable)
            XCTAssertTrue("\(e)".contains("tower migrate"), "\(e)")
        }
        XCTAssertThrowsError(try c.query("SELECT $1::int", ["twelve"])) {
            XCTAssertEqual(($0 as? PostgresError)?.sqlState, .invalidTextRepresentation)
        }
        // The connection stays usable after errors.
        XCTAssertEqual(try c.query("SELECT count(*) FROM u")[0].decode(0, as: Int.self), 1)
    }

    func testConnectionFailuresAreTransientAndDoNotLeakThePassword() throws {
        let url = try TestEnvironment.require("TOWER_DATABASE_URL")
        var wrongPort = URLComponents(string: url)!
        wrongPort.port = 1
        XCTAssertThrowsError(try PostgresConnection(url: wrongPort.string!)) { e in
            guard case .connectionFailed? = e as? PostgresError else { return XCTFail("\(e)") }
            XCTAssertTrue((e as! PostgresError).isTransient)
            XCTAssertTrue("\(e)".contains("TOWER_DATABASE_URL"))
        }
        var wrongPassword = URLComponents(string: url)!
        wrongPassword.password = "not-the-password-x9"
        XCTAssertThrowsError(try PostgresConnection(url: wrongPassword.string!)) { e in
            guard case .connectionFailed? = e as? PostgresError else { return XCTFail("\(e)") }
            XCTAssertFalse("\(e)".contains("not-the-password-x9"))
        }
    }

    func testUsingAClosedConnectionIsConnectionLost() throws {
        let db = try ScratchDatabase("closed")
        defer { db.drop() }
        let c = try db.connect()
        c.close()
        XCTAssertFalse(c.isConnected)
        XCTAssertThrowsError(try c.query("SELECT 1")) {
            guard case .connectionLost? = $0 as? PostgresError else { return XCTFail("\($0)") }
        }
        try c.reconnect()
        XCTAssertEqual(try c.query("SELECT 1")[0].decode(0, as: Int.self), 1)
    }
}
