import Foundation
import LibPQ
import TowerTestSupport
import XCTest

/// Every column type Tower's schema uses, written through parameters and read back in binary.
final class RoundTripTests: XCTestCase {
    private var db: ScratchDatabase!
    private var c: PQConnection!

    override func setUpWithError() throws {
        db = try ScratchDatabase("roundtrip")
        c = try db.connect()
        try c.run(script: """
            CREATE TABLE rt (
                id serial PRIMARY KEY, b bigint, i int, d double precision, f boolean, t text, ta text[],
                ts timestamptz, n numeric, v vector(384), by bytea)
            """)
    }

    override func tearDown() { c = nil; db?.drop() }

    private func roundTrip<T: PQBindable, R: PQDecodable>(_ column: String, _ value: T, as: R.Type,
                                                                      cast: String = "") throws -> R {
        let id = try c.query("INSERT INTO rt (\(column)) VALUES ($1\(cast)) RETURNING id", [value])[0].decode(0, as: Int.self)
        return try c.query("SELECT \(column) FROM rt WHERE id = $1", [id])[0].decode(0, as: R.self)
    }

    func testIntegers() throws {
        for v in [Int64.min, -1, 0, 1, Int64.max] { XCTAssertEqual(try roundTrip("b", v, as: Int64.self), v) }
        for v in [Int32.min, 0, Int32.max] { XCTAssertEqual(try roundTrip("i", v, as: Int32.self), v) }
        XCTAssertEqual(try roundTrip("i", 42, as: Int.self), 42)
        XCTAssertThrowsError(try c.execute("INSERT INTO rt (i) VALUES ($1)", [Int64(Int32.max) + 1])) {
            XCTAssertEqual(($0 as? PQError)?.sqlState?.rawValue, "22003") // numeric_value_out_of_range
        }
    }

    func testDoublesIncludingExtremes() throws {
        for v in [0.0, -0.5, 1.0 / 3.0, 1e-300, 1.7976931348623157e308, -123456.789] {
            XCTAssertEqual(try roundTrip("d", v, as: Double.self), v)
        }
        XCTAssertEqual(try roundTrip("d", Double.infinity, as: Double.self), .infinity)
        XCTAssertTrue(try roundTrip("d", Double.nan, as: Double.self).isNaN)
    }

    func testBooleans() throws {
        XCTAssertEqual(try roundTrip("f", true, as: Bool.self), true)
        XCTAssertEqual(try roundTrip("f", false, as: Bool.self), false)
    }

    func testTextIsVerbatim() throws {
        for s in ["", "plain", "it's \"quoted\" \\ back\\slash", "tab\tnew\nline\r", "ünïcödé 日本語 🛒", "NULL", "{a,b}"] {
            XCTAssertEqual(try roundTrip("t", s, as: String.self), s)
        }
    }

    func testSQLInjectionStringIsStoredVerbatim() throws {
        let evil = "Robert'); DROP TABLE rt; -- \" ; SELECT pg_sleep(10); $1 \\'"
        XCTAssertEqual(try roundTrip("t", evil, as: String.self), evil)
        XCTAssertEqual(try c.query("SELECT count(*) FROM rt WHERE t = $1", [evil])[0].decode(0, as: Int.self), 1)
        XCTAssertEqual(try c.query("SELECT to_regclass('rt') IS NOT NULL")[0].decode(0, as: Bool.self), true)
    }

    func testTextArrays() throws {
        let arrays: [[String]] = [[], ["Shoes"], ["Shoes", "Running", "Trail"],
                                  ["a,b", "{braces}", "quote\"d", "back\\slash", "NULL", "", " spaced ", "日本"]]
        for a in arrays { XCTAssertEqual(try roundTrip("ta", PQArray(a), as: [String].self), a) }
        let id = try c.query("INSERT INTO rt (ta) VALUES ($1) RETURNING id", [PQArray(["x", nil])])[0].decode(0, as: Int.self)
        XCTAssertEqual(try c.query("SELECT ta[2] IS NULL FROM rt WHERE id = $1", [id])[0].decode(0, as: Bool.self), true)
    }

    func testTimestampsKeepMicroseconds() throws {
        let dates = [Date(timeIntervalSince1970: 1_714_564_800.123456), Date(timeIntervalSince1970: 0),
                     Date(timeIntervalSince1970: -1_000_000_000.5), Date(timeIntervalSince1970: 946_684_800)]
        for d in dates {
            let back = try roundTrip("ts", d, as: Date.self)
            XCTAssertEqual(back.timeIntervalSince1970, d.timeIntervalSince1970, accuracy: 1e-6)
        }
        let text = try c.query("SELECT $1::timestamptz AT TIME ZONE 'UTC'", [Date(timeIntervalSince1970: 1_714_564_800.5)])[0]
        XCTAssertEqual(try text.decode(0, as: Date.self).timeIntervalSince1970, 1_714_564_800.5, accuracy: 1e-6)
    }

    func testNumeric() throws {
        for (text, value) in [("123.45", 123.45), ("-0.001", -0.001), ("0", 0), ("98765432109876", 98_765_432_109_876),
                              ("1e-10", 1e-10)] {
            XCTAssertEqual(try roundTrip("n", text, as: Double.self, cast: "::numeric"), value, accuracy: abs(value) * 1e-12)
        }
        XCTAssertEqual(try roundTrip("n", "12345678901", as: Int64.self, cast: "::numeric"), 12_345_678_901)
        XCTAssertTrue(try roundTrip("n", "NaN", as: Double.self, cast: "::numeric").isNaN)
    }

    func testVector384() throws {
        var values = (0..<384).map { Float($0) * 0.001 - 0.19 }
        values[0] = 1e-8; values[1] = -3.4e38; values[2] = 0.1
        XCTAssertEqual(try roundTrip("v", PQVector(values), as: [Float].self), values)
        XCTAssertThrowsError(try c.execute("INSERT INTO rt (v) VALUES ($1)", [PQVector([1, 2, 3])])) {
            XCTAssertEqual(($0 as? PQError)?.sqlState?.rawValue, "22000") // expected 384 dimensions
        }
    }

    func testBytea() throws {
        let id = try c.query("INSERT INTO rt (by) VALUES (decode($1, 'hex')) RETURNING id", ["00ff10"])[0].decode(0, as: Int.self)
        XCTAssertEqual(try c.query("SELECT by FROM rt WHERE id = $1", [id])[0].decode(0, as: PQBytes.self).bytes, [0, 255, 16])
    }

    func testNullsForEveryColumn() throws {
        let none: (any PQBindable)? = nil
        try c.execute("INSERT INTO rt (b, i, d, f, t, ta, ts, n, v, by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                      Array(repeating: none, count: 10))
        let row = try c.query("SELECT b, i, d, f, t, ta, ts, n, v, by FROM rt")[0]
        XCTAssertNil(try row.decodeIfPresent(0, as: Int64.self))
        XCTAssertNil(try row.decodeIfPresent(1, as: Int.self))
        XCTAssertNil(try row.decodeIfPresent(2, as: Double.self))
        XCTAssertNil(try row.decodeIfPresent(3, as: Bool.self))
        XCTAssertNil(try row.decodeIfPresent(4, as: String.self))
        XCTAssertNil(try row.decodeIfPresent(5, as: [String].self))
        XCTAssertNil(try row.decodeIfPresent(6, as: Date.self))
        XCTAssertNil(try row.decodeIfPresent(7, as: Double.self))
        XCTAssertNil(try row.decodeIfPresent(8, as: [Float].self))
        XCTAssertNil(try row.decodeIfPresent(9, as: PQBytes.self))
        XCTAssertTrue(row.isNull(0))
        XCTAssertThrowsError(try row.decode(0, as: Int64.self)) {
            guard case .decoding(let column, _)? = $0 as? PQError else { return XCTFail("\($0)") }
            XCTAssertEqual(column, "b")
        }
    }

    func testDecodingTheWrongTypeIsATypedError() throws {
        let row = try c.query("SELECT 'text'::text AS label, 1.5::float8 AS x")[0]
        XCTAssertThrowsError(try row.decode(0, as: Int.self)) {
            guard case .decoding(let column, _)? = $0 as? PQError else { return XCTFail("\($0)") }
            XCTAssertEqual(column, "label")
        }
        XCTAssertThrowsError(try row.decode("missing", as: Int.self))
        XCTAssertEqual(try row.decode("x", as: Double.self), 1.5)
    }
}
