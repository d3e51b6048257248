import Foundation
import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class EventImportTests: StoreTestCase {
    private func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    private func line(_ customer: Int64, _ product: Int64, _ name: String, _ at: Date) -> String {
        line(customer, product, name, iso(at))
    }

    private func line(_ customer: Int64, _ product: Int64, _ name: String, _ at: String) -> String {
        #"{"customer_id": \#(customer), "product_id": \#(product), "event_name": "\#(name)", "occurred_at": "\#(at)"}"#
    }

    func testAppendsInFileOrderAndFillsTheWindow() throws {
        let now = Date()
        let lines = [
            line(10, 1, "product_viewed", now.addingTimeInterval(-3_600)),                    // 1 in window
            line(11, 2, "product_clicked", try Timestamp.parse("2018-09-24T14:27:30Z")),      // 2 old
            #"{"customer_id": 12, "product_id": 3, "event_name": "product_bought", "occurred_at": 1714564800000}"#, // 3 unknown
            line(12, 3, "product_added_to_cart", now.addingTimeInterval(-3 * 86_400)),        // 4 outside 2d
            #"{"customer_id": -9223372036854775809, "product_id": 3, "event_name": "product_viewed", "occurred_at": 1714564800000}"#, // 5
            #"{"customer_id": 13, "product_id": 4, "event_name": "product_viewed"}"#,        // 6 no time
            line(10, 5, "product_added_to_cart", now.addingTimeInterval(-600)),               // 7 in window
            #"{"customer_id": "14", "product_id": "6", "event_name": "product_viewed", "occurred_at": 1537799250000}"#, // 8 old
        ]
        let report = try EventImporter(connection, settings: settings)
            .importFile(path: try temporaryFile("events.jsonl", lines.joined(separator: "\n")))
        XCTAssertEqual(report.lines.lines, 8)
        XCTAssertEqual(report.lines.accepted, 5)
        XCTAssertEqual(report.lines.rejections.map(\.line), [3, 5, 6])
        XCTAssertTrue(report.lines.rejections[0].reason.contains("unknown event_name \"product_bought\""))
        XCTAssertEqual(report.lines.rejections[1].reason, "\"customer_id\" -9223372036854775809 is out of the int64 range")
        XCTAssertEqual(report.lines.rejections[2].reason, "missing required field \"occurred_at\"")
        XCTAssertEqual(report.counts.appended, 5)
        XCTAssertEqual(report.counts.interactions, 2)

        let log = try connection.query("SELECT customer_id, product_id FROM events ORDER BY event_id").rows
        XCTAssertEqual(try log.map { try $0.decode(1, as: Int64.self) }, [1, 2, 3, 5, 6], "file order")
        XCTAssertEqual(try log.map { try $0.decode(0, as: Int64.self) }, [10, 11, 12, 10, 14])
        let window = try connection.query("""
            SELECT i.product_id FROM interactions i JOIN events e USING (event_id)
            WHERE e.customer_id = i.customer_id AND e.occurred_at = i.occurred_at AND e.event_name = i.event_name
            ORDER BY i.event_id
            """).rows
        XCTAssertEqual(try window.map { try $0.decode(0, as: Int64.self) }, [1, 5])
        let at = try connection.query("SELECT occurred_at FROM events WHERE product_id = 6")[0].decode(0, as: Date.self)
        XCTAssertEqual(at.timeIntervalSince1970, 1_537_799_250)

        // A second import appends after the first and adds only its own events to the window.
        let more = try EventImporter(connection, settings: settings)
            .importFile(path: try temporaryFile("more.jsonl", line(20, 7, "product_viewed", now) + "\n"))
        XCTAssertEqual(more.counts, .init(appended: 1, interactions: 1))
        XCTAssertEqual(try count("SELECT count(*) FROM interactions"), 3)
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE event_id > (SELECT max(event_id) FROM events WHERE product_id = 6)"), 1)
    }

    func testLinesWithAnEventIDAlreadyRecordedAreSkipped() throws {
        let now = Date()
        func withID(_ customer: Int64, _ product: Int64, _ id: String) -> String {
            #"{"customer_id": \#(customer), "product_id": \#(product), "event_name": "product_viewed", "occurred_at": "\#(iso(now))", "event_id": "\#(id)"}"#
        }
        // The daemon applied "q-1" from the queue earlier.
        try connection.execute("INSERT INTO producer_event_ids (event_id, message_id, seen_at) VALUES ('q-1', 'msg-1', now())")
        let file = try temporaryFile("ids.jsonl", [
            withID(1, 1, "a"), line(1, 2, "product_viewed", now), withID(1, 3, "a"), withID(2, 4, "q-1"), withID(2, 5, "b"),
            #"{"customer_id": 3, "product_id": 6, "event_name": "product_viewed", "occurred_at": 1714564800000, "event_id": 7}"#,
        ].joined(separator: "\n"))
        let first = try EventImporter(connection, settings: settings).importFile(path: file)
        XCTAssertEqual(first.lines.rejections.map(\.line), [6])
        XCTAssertEqual(first.lines.rejections.first?.reason, "\"event_id\" must be a string, got a number")
        XCTAssertEqual(first.counts, .init(appended: 3, interactions: 3, duplicates: 2), "the repeated a and the daemon's q-1 are skipped")
        XCTAssertEqual(try connection.query("SELECT array_agg(product_id ORDER BY event_id) FROM events")[0].decode(0, as: [Int64].self), [1, 2, 5])
        // Imported again, only the line without an event_id is appended again.
        let again = try EventImporter(connection, settings: settings).importFile(path: file)
        XCTAssertEqual(again.counts, .init(appended: 1, interactions: 1, duplicates: 4))
        XCTAssertEqual(try count("SELECT count(*) FROM producer_event_ids"), 3)
    }

    func testGzipInput() throws {
        let lines = (0..<1_000).map { line(Int64($0 % 17), Int64($0), "product_clicked", "\(1_600_000_000_000 + $0)") }
        let gz = try gzipped(try temporaryFile("events.jsonl", lines.joined(separator: "\n") + "\n"))
        let report = try EventImporter(connection, settings: settings).importFile(path: gz)
        XCTAssertEqual(report.counts, .init(appended: 1_000, interactions: 0))
        XCTAssertEqual(try connection.query("SELECT array_agg(product_id ORDER BY event_id) FROM events")[0].decode(0, as: [Int64].self),
                       (0..<1_000).map(Int64.init))
    }

    func testAFailedImportWritesNothing() throws {
        let now = iso(Date())
        let lines = (0..<50_000).map { line(1, Int64($0), "product_viewed", now) }
        let gz = try gzipped(try temporaryFile("events.jsonl", lines.joined(separator: "\n")))
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        let truncated = try temporaryFile("truncated.jsonl.gz", data.prefix(data.count * 3 / 4))
        var progressed = 0
        XCTAssertThrowsError(try EventImporter(connection, settings: settings).importFile(path: truncated, progress: { progressed += $0 })) {
            guard case .unreadable? = $0 as? ImportFileError else { return XCTFail("\($0)") }
        }
        XCTAssertGreaterThan(progressed, 1_000, "good lines were streamed before the file broke")
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions"), 0)
    }

    func testImportRefreshesPopularity() throws {
        _ = try CatalogImporter(connection, settings: settings)
            .importFile(path: try temporaryFile("p.jsonl", #"{"product_id": 1, "name": "A"}"# + "\n" + #"{"product_id": 2, "name": "B"}"#))
        let report = try EventImporter(connection, settings: settings).importFile(path: try temporaryFile("e.jsonl", [
            line(1, 1, "product_clicked", Date()), line(2, 1, "product_added_to_cart", Date()),
        ].joined(separator: "\n")))
        XCTAssertEqual(report.popularityChanged, 1)
        XCTAssertEqual(try connection.query("SELECT popularity FROM products WHERE product_id = 1")[0].decode(0, as: Double.self), 7)
    }
}
