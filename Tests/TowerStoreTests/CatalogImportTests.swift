import Foundation
import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class CatalogImportTests: StoreTestCase {
    private func importFile(_ path: String, batchSize: Int = 5_000) throws -> CatalogImporter.Report {
        var importer = CatalogImporter(connection, settings: settings)
        importer.batchSize = batchSize
        return try importer.importFile(path: path)
    }

    private func importLines(_ lines: [String], batchSize: Int = 5_000) throws -> CatalogImporter.Report {
        try importFile(try temporaryFile("products.jsonl", lines.joined(separator: "\n") + "\n"), batchSize: batchSize)
    }

    func testGoodAndBadLines() throws {
        let report = try importLines([
            #"{"product_id": 1, "name": "First", "categories": ["Shoes", "Running"], "price": 10}"#,  // 1 ok
            #"{"product_id": 2, "name": "broken""#,                                                 // 2 malformed
            "",                                                                                     // 3 blank
            #"{"product_id": 4, "merchant": "Acme"}"#,                                              // 4 no name
            #"{"product_id": 5, "name": "Five", "price": "12"}"#,                                   // 5 wrong type
            #"{"product_id": 9223372036854775808, "name": "Huge"}"#,                                // 6 out of range
            #"[1, 2]"#,                                                                             // 7 not an object
            #"{"product_id": "3", "name": "Third", "color": "red"}"#,                               // 8 ok
            #"{"product_id": 1, "name": "First, renamed", "categories": ["Shoes"]}"#,               // 9 ok, id 1 again
        ])
        XCTAssertEqual(report.lines.lines, 9)
        XCTAssertEqual(report.lines.accepted, 3)
        XCTAssertEqual(report.lines.rejectedCount, 5)
        XCTAssertEqual(report.lines.rejections.map(\.line), [2, 4, 5, 6, 7])
        let reasons = report.lines.rejections.map(\.reason)
        XCTAssertTrue(reasons[0].hasPrefix("malformed JSON"), reasons[0])
        XCTAssertEqual(reasons[1], "missing required field \"name\"")
        XCTAssertEqual(reasons[2], "\"price\" must be a number, got a string")
        XCTAssertEqual(reasons[3], "\"product_id\" 9223372036854775808 is out of the int64 range")
        XCTAssertEqual(reasons[4], "expected a JSON object, got an array")
        XCTAssertEqual(report.counts, .init(inserted: 2, updated: 0, unchanged: 0))

        let rows = try connection.query("SELECT product_id, name, category_path, color, price FROM products ORDER BY product_id").rows
        XCTAssertEqual(try rows.map { try $0.decode(0, as: Int64.self) }, [1, 3])
        XCTAssertEqual(try rows[0].decode(1, as: String.self), "First, renamed", "the last line of an id wins")
        XCTAssertEqual(try rows[0].decode(2, as: [String].self), ["Shoes"])
        XCTAssertNil(try rows[0].decodeIfPresent(4, as: Double.self))
        XCTAssertEqual(try rows[1].decode(3, as: String.self), "red")
    }

    func testRejectionSamplesAreCappedButCounted() throws {
        let lines = (1...120).map { #"{"product_id": \#($0)}"# }
        let report = try importLines(lines)
        XCTAssertEqual(report.lines.rejectedCount, 120)
        XCTAssertEqual(report.lines.rejections.count, report.lines.sampleLimit)
        XCTAssertEqual(report.lines.rejections.first?.line, 1)
        XCTAssertEqual(try count("SELECT count(*) FROM products"), 0)
    }

    func testUpsertRules() throws {
        let created = "2024-05-01T12:00:00Z"
        _ = try importLines([
            #"{"product_id": 1, "name": "A", "created_at": "\#(created)", "price_tier": "luxury", "popularity": 7, "active": false}"#,
            #"{"product_id": 2, "name": "B", "price": 5}"#,
        ])
        var p1 = try connection.query("SELECT price_tier, price_tier_fixed, popularity, popularity_fixed, active, created_at FROM products WHERE product_id = 1")[0]
        XCTAssertEqual(try p1.decode(0, as: String.self), "luxury")
        XCTAssertEqual(try p1.decode(1, as: Bool.self), true)
        XCTAssertEqual(try p1.decode(2, as: Double.self), 7)
        XCTAssertEqual(try p1.decode(3, as: Bool.self), true)
        XCTAssertEqual(try p1.decode(4, as: Bool.self), false)
        XCTAssertEqual(try p1.decode(5, as: Date.self), try Timestamp.parse(created))
        let b = try connection.query("SELECT active, price, created_at > now() - interval '1 hour' FROM products WHERE product_id = 2")[0]
        XCTAssertEqual(try b.decode(0, as: Bool.self), true, "new products are active")
        XCTAssertEqual(try b.decode(1, as: Double.self), 5)
        XCTAssertEqual(try b.decode(2, as: Bool.self), true, "a new product without created_at gets the import time")

        // The same file again changes nothing.
        let again = try importLines([
            #"{"product_id": 1, "name": "A", "created_at": "\#(created)", "price_tier": "luxury", "popularity": 7, "active": false}"#,
            #"{"product_id": 2, "name": "B", "price": 5}"#,
        ])
        XCTAssertEqual(again.counts, .init(inserted: 0, updated: 0, unchanged: 2))

        // Without the optional fields: created_at and active are kept, tier and popularity are handed back to Tower.
        let second = try importLines([#"{"product_id": 1, "name": "A2"}"#, #"{"product_id": 3, "name": "C"}"#])
        XCTAssertEqual(second.counts, .init(inserted: 1, updated: 1, unchanged: 0))
        p1 = try connection.query("SELECT name, price_tier, price_tier_fixed, popularity_fixed, active, created_at FROM products WHERE product_id = 1")[0]
        XCTAssertEqual(try p1.decode(0, as: String.self), "A2")
        XCTAssertEqual(try p1.decode(1, as: String.self), "luxury", "kept until Tower recomputes the tier")
        XCTAssertEqual(try p1.decode(2, as: Bool.self), false)
        XCTAssertEqual(try p1.decode(3, as: Bool.self), false)
        XCTAssertEqual(try p1.decode(4, as: Bool.self), false, "active is kept when absent")
        XCTAssertEqual(try p1.decode(5, as: Date.self), try Timestamp.parse(created), "created_at is kept when absent")
        XCTAssertEqual(try count("SELECT count(*) FROM products WHERE product_id = 1 AND popularity = 0"), 1,
                       "no events: the refresh after the import sets the un-fixed popularity to 0")
    }

    func testBatchesKeepTheLastRecordOfAnId() throws {
        let lines = (0..<7).map { #"{"product_id": \#($0 % 3), "name": "v\#($0)"}"# }
        let report = try importLines(lines, batchSize: 2)
        XCTAssertEqual(report.lines.accepted, 7)
        let names = try connection.query("SELECT name FROM products ORDER BY product_id").rows.map { try $0.decode(0, as: String.self) }
        XCTAssertEqual(names, ["v6", "v4", "v5"])
    }

    func testSharedDatasetProductsPlainAndGzip() throws {
        let path = TestEnvironment.sharedDirectory.appendingPathComponent("data/movielens-latest-small/products.jsonl").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("the shared dataset is not at \(path)")
        }
        let report = try importFile(path)
        XCTAssertEqual(report.lines.lines, 9_742)
        XCTAssertEqual(report.lines.rejectedCount, 0, "\(report.lines.rejections)")
        XCTAssertEqual(report.counts, .init(inserted: 9_742, updated: 0, unchanged: 0))
        XCTAssertEqual(try count("SELECT count(*) FROM products"), 9_742)
        let toyStory = try connection.query("SELECT name, category_path, merchant FROM products WHERE product_id = 1")[0]
        XCTAssertEqual(try toyStory.decode(0, as: String.self), "Toy Story (1995)")
        XCTAssertEqual(try toyStory.decode(1, as: [String].self), ["Adventure", "Animation", "Children"])
        XCTAssertNil(try toyStory.decodeIfPresent(2, as: String.self))
        XCTAssertEqual(try count("SELECT count(*) FROM products WHERE category_path = '{}'"), 9_742 - 9_708)

        let copy = try temporaryFile("products.jsonl", try Data(contentsOf: URL(fileURLWithPath: path)))
        let gz = try importFile(try gzipped(copy))
        XCTAssertEqual(gz.lines.accepted, 9_742)
        XCTAssertEqual(gz.counts, .init(inserted: 0, updated: 0, unchanged: 9_742))
    }
}
