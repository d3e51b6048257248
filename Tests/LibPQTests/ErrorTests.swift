import Foundation
import LibPQ
import TowerTestSupport
import XCTest

/// Server errors carry their SQLSTATE; connection problems are typed and transient.
final class ErrorTests: XCTestCase {
    func testConnectionErrorsNeverQuoteThePassword() throws {
        let url = try TestEnvironment.require("TOWER_DATABASE_URL")
        let host = String(url[url.range(of: "@")!.upperBound...])
        // libpq repeats the malformed part of a URL in its message, which here is the password or a password parameter.
        let cases = [
            ("postgresql://tower:s3cr%zzet@\(host)", "s3cr%zzet", "invalid percent-encoded token"),
            ("postgresql://tower:pa%00ss@\(host)", "pa%00ss", "forbidden value %00"),
            ("postgresql://tower@\(host)?password=hun%zzter2", "hun%zzter2", "invalid percent-encoded token"),
            ("postgresql://tower:wrong-Pa55word@\(host)", "wrong-Pa55word", "password authentication failed"),
            ("host=127.0.0.1 port=1 user=tower password='quoted s3cret' sslmode=bogus", "quoted s3cret", "sslmode"),
        ]
        for (bad, secret, expected) in cases {
            XCTAssertThrowsError(try PQConnection(url: bad), bad) {
                let text = "\($0)"
                XCTAssertFalse(text.contains(secret), text)
                XCTAssertTrue(text.contains(expected), text)
            }
        }
    }

    func testUniqueViolationAndBadQueriesMapToSQLState() throws {
        let db = try ScratchDatabase("errors")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE u (id bigint PRIMARY KEY)")
        try c.execute("INSERT INTO u VALUES ($1)", [1])
        XCTAssertThrowsError(try c.execute("INSERT INTO u VALUES ($1)", [1])) { e in
            let pe = e as? PQError
            XCTAssertEqual(pe?.sqlState, .uniqueViolation)
            XCTAssertEqual(pe?.sqlState?.errorClass, "23")
            XCTAssertEqual(pe?.isTransient, false)
            XCTAssertTrue(pe?.description.contains("23505") ?? false, pe?.description ?? "")
            guard case .server(let server)? = pe else { return XCTFail("not a server error: \(e)") }
            XCTAssertEqual(server.detail, "Key (id)=(1) already exists.")
        }
        XCTAssertThrowsError(try c.query("SELEC 1")) { XCTAssertEqual(($0 as? PQError)?.sqlState, .syntaxError) }
        XCTAssertThrowsError(try c.query("SELECT nope FROM u")) { XCTAssertEqual(($0 as? PQError)?.sqlState, .undefinedColumn) }
        XCTAssertThrowsError(try c.query("SELECT 1 FROM missing_table")) { e in
            XCTAssertEqual((e as? PQError)?.sqlState, .undefinedTable)
            XCTAssertTrue("\(e)".contains("tower migrate"), "\(e)")
        }
        XCTAssertThrowsError(try c.query("SELECT $1::int", ["twelve"])) {
            XCTAssertEqual(($0 as? PQError)?.sqlState, .invalidTextRepresentation)
        }
        // The connection stays usable after errors.
        XCTAssertEqual(try c.query("SELECT count(*) FROM u")[0].decode(0, as: Int.self), 1)
    }

    func testConnectionFailuresAreTransientAndDoNotLeakThePassword() throws {
        let url = try TestEnvironment.require("TOWER_DATABASE_URL")
        var wrongPort = URLComponents(string: url)!
        wrongPort.port = 1
        XCTAssertThrowsError(try PQConnection(url: wrongPort.string!)) { e in
            guard case .connectionFailed? = e as? PQError else { return XCTFail("\(e)") }
            XCTAssertTrue((e as! PQError).isTransient)
            XCTAssertTrue("\(e)".contains("TOWER_DATABASE_URL"))
        }
        var wrongPassword = URLComponents(string: url)!
        wrongPassword.password = "not-the-password-x9"
        XCTAssertThrowsError(try PQConnection(url: wrongPassword.string!)) { e in
            guard case .connectionFailed? = e as? PQError else { return XCTFail("\(e)") }
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
            guard case .connectionLost? = $0 as? PQError else { return XCTFail("\($0)") }
        }
        try c.reconnect()
        XCTAssertEqual(try c.query("SELECT 1")[0].decode(0, as: Int.self), 1)
    }
}
