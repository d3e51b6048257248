import XCTest
import Postgres
import TowerTestSupport

final class SmokeTests: XCTestCase {
    func testRoundTripSmoke() throws {
        let db = try ScratchDatabase("smoke")
        defer { db.drop() }
        let c = try db.connect()
        let r = try c.query("SELECT $1::bigint, $2::text, $3::vector, now(), 1.5::numeric, ARRAY['a','b'], NULL::int", [Int64.max, "it's", PostgresVector([1, 2.5, -3])])
        let row = r[0]
        XCTAssertEqual(try row.decode(0, as: Int64.self), Int64.max)
        XCTAssertEqual(try row.decode(1, as: String.self), "it's")
        XCTAssertEqual(try row.decode(2, as: [Float].self), [1, 2.5, -3])
        XCTAssertEqual(try row.decode(4, as: Double.self), 1.5)
        XCTAssertEqual(try row.decode(5, as: [String].self), ["a", "b"])
        XCTAssertNil(try row.decodeIfPresent(6, as: Int.self))
        XCTAssertThrowsError(try c.query("SELEC 1")) { e in XCTAssertEqual((e as? PostgresError)?.sqlState, .syntaxError) }
    }
}
