import LibPQ
import TowerTestSupport
import XCTest

final class PipelineModeTests: XCTestCase {
    func testStatementsRunInOrderInOneRoundTripAndPreparedOnesAreCached() throws {
        let db = try ScratchDatabase("pipeline")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE kv (k text PRIMARY KEY, v bigint NOT NULL)")
        c.prepare("put", "INSERT INTO kv (k, v) VALUES ($1, $2) RETURNING v * 10")
        c.prepare("sum", "SELECT coalesce(sum(v), 0)::bigint FROM kv")
        let results = try c.pipeline([
            .sql("BEGIN"), .prepared("put", ["a", 1]), .prepared("put", ["b", 2]), .prepared("sum"), .sql("COMMIT"),
        ])
        XCTAssertEqual(results.count, 5)
        XCTAssertEqual(try results[1][0].decode(0, as: Int64.self), 10)
        XCTAssertEqual(try results[2][0].decode(0, as: Int64.self), 20)
        XCTAssertEqual(try results[3][0].decode(0, as: Int64.self), 3, "a later statement sees the earlier ones' rows")
        // Prepared once, in the pipeline: later uses do not prepare again.
        XCTAssertEqual(try c.query(prepared: "sum")[0].decode(0, as: Int64.self), 3)
        XCTAssertEqual(try c.query("SELECT count(*) FROM pg_prepared_statements")[0].decode(0, as: Int.self), 2)
    }

    func testAFailureIsThrownAndTheRestIsSkipped() throws {
        let db = try ScratchDatabase("pipelinefail")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE kv (k text PRIMARY KEY, v bigint NOT NULL)")
        XCTAssertThrowsError(try c.pipeline([
            .sql("BEGIN"), .sql("INSERT INTO kv VALUES ($1, 1)", ["a"]), .sql("INSERT INTO kv VALUES ($1, 2)", ["a"]),
            .sql("INSERT INTO kv VALUES ($1, 3)", ["c"]), .sql("COMMIT"),
        ])) { XCTAssertEqual(($0 as? PQError)?.sqlState, .uniqueViolation) }
        try c.execute("ROLLBACK")
        XCTAssertEqual(try c.query("SELECT count(*) FROM kv")[0].decode(0, as: Int.self), 0, "the transaction did not commit")
        XCTAssertEqual(try c.pipeline([.sql("SELECT 42")])[0][0].decode(0, as: Int.self), 42, "the connection is usable again")
    }
}

final class BinaryParameterTests: XCTestCase {
    /// An `int4` sent in binary (4 bytes, big-endian).
    private struct BinaryInt4: PQBinaryBindable {
        let value: Int32
        var postgresText: String { String(value) }
        var postgresBinary: [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    }

    func testBinaryAndTextParametersMixInOneStatement() throws {
        let db = try ScratchDatabase("binaryparams")
        defer { db.drop() }
        let c = try db.connect()
        let row = try c.query("SELECT $1::int4 + 1, $2::text, $3::int4 * 2", [BinaryInt4(value: 41), "x", BinaryInt4(value: -7)])[0]
        XCTAssertEqual(try row.decode(0, as: Int.self), 42)
        XCTAssertEqual(try row.decode(1, as: String.self), "x")
        XCTAssertEqual(try row.decode(2, as: Int.self), -14)
        c.prepare("inc", "SELECT $1::int4 + 1")
        XCTAssertEqual(try c.query(prepared: "inc", [BinaryInt4(value: 1)])[0].decode(0, as: Int.self), 2)
        XCTAssertEqual(try c.pipeline([.prepared("inc", [BinaryInt4(value: 2)])])[0][0].decode(0, as: Int.self), 3)
    }
}
