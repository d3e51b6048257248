import Foundation
import LibPQ
import TowerTestSupport
import XCTest

final class CopyTests: XCTestCase {
    func testCopyTextEscaping() {
        XCTAssertEqual(CopyText.row([1, "a\tb", nil, "x\\y\nz\r", true]), "1\ta\\tb\t\\N\tx\\\\y\\nz\\r\tt")
        XCTAssertEqual(CopyText.row([PQArray(["q\"", "b\\s"])]), #"{"q\\"","b\\\\s"}"#)
    }

    func testCopyInWritesEveryRowVerbatim() throws {
        let db = try ScratchDatabase("copy")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE c (id bigint, label text, tags text[], at timestamptz, v vector(3))")
        let labels = ["plain", "tab\there", "line\nbreak", "back\\slash", "\\N", "ünï 🛒", "Robert'); DROP TABLE c;--"]
        let at = Date(timeIntervalSince1970: 1_700_000_000.25)
        let copied = try c.copyIn("COPY c (id, label, tags, at, v) FROM STDIN") { write in
            for (i, label) in labels.enumerated() {
                try write(CopyText.row([Int64(i), label, PQArray([label, "x,y"]), at, PQVector([Float(i), 0.5, -1])]))
            }
            try write(CopyText.row([Int64(99), nil, nil, nil, nil]))
        }
        XCTAssertEqual(copied, labels.count + 1)
        let rows = try c.query("SELECT label, tags, at, v FROM c WHERE id < 99 ORDER BY id").rows
        XCTAssertEqual(try rows.map { try $0.decode(0, as: String.self) }, labels)
        XCTAssertEqual(try rows.map { try $0.decode(1, as: [String].self) }, labels.map { [$0, "x,y"] })
        XCTAssertEqual(try rows[0].decode(2, as: Date.self).timeIntervalSince1970, at.timeIntervalSince1970, accuracy: 1e-6)
        XCTAssertEqual(try rows[3].decode(3, as: [Float].self), [3, 0.5, -1])
        XCTAssertEqual(try c.query("SELECT label IS NULL AND v IS NULL FROM c WHERE id = 99")[0].decode(0, as: Bool.self), true)
    }

    func testAFailedCopyInATransactionLeavesNothing() throws {
        struct Stop: Error {}
        let db = try ScratchDatabase("copyfail")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE c (id int NOT NULL)")
        XCTAssertThrowsError(try c.transaction {
            try c.copyIn("COPY c FROM STDIN") { write in
                try write("1"); try write("2")
                throw Stop()
            }
        }) { XCTAssertTrue($0 is Stop, "\($0)") }
        XCTAssertThrowsError(try c.transaction {
            try c.copyIn("COPY c FROM STDIN") { write in try write("1"); try write("\\N") }
        }) { XCTAssertEqual(($0 as? PQError)?.sqlState, .notNullViolation) }
        XCTAssertThrowsError(try c.copyIn("SELECT 1") { _ in }) {
            guard case .misuse? = $0 as? PQError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try c.query("SELECT count(*) FROM c")[0].decode(0, as: Int.self), 0)
    }
}
