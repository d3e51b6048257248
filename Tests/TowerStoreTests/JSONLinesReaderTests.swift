import Foundation
import TowerStore
import XCTest

final class JSONLinesReaderTests: XCTestCase {
    private func lines(_ path: String) throws -> [(Int, String, Bool)] {
        var out: [(Int, String, Bool)] = []
        try JSONLinesReader.forEachLine(path: path) { out.append(($0.number, String(decoding: $0.bytes, as: UTF8.self), $0.isTooLong)) }
        return out
    }

    func testLineNumbersBreaksAndBlankLines() throws {
        let path = try temporaryFile("a.jsonl", "{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}")
        let read = try lines(path)
        XCTAssertEqual(read.map(\.0), [1, 2, 3, 4, 5])
        XCTAssertEqual(read.map(\.1), ["{\"a\":1}", "", "  ", "{\"b\":2}", "{\"c\":3}"])
        XCTAssertEqual(try JSONLinesReader.countLines(path: path), 5)
        XCTAssertEqual(try lines(try temporaryFile("empty.jsonl", "")).count, 0)
    }

    func testLinesSpanningChunkBoundaries() throws {
        // Many lines of varying length, more than one read chunk in all.
        let texts = (0..<20_000).map { "{\"n\": \($0), \"pad\": \"\(String(repeating: "x", count: $0 % 97))\"}" }
        let path = try temporaryFile("many.jsonl", texts.joined(separator: "\n") + "\n")
        let read = try lines(path)
        XCTAssertEqual(read.count, texts.count)
        XCTAssertEqual(read.map(\.1), texts)
        XCTAssertEqual(read.last?.0, texts.count)
    }

    func testGzipInputReadsTheSameLines() throws {
        let texts = (0..<5_000).map { "{\"n\": \($0)}" }
        let path = try temporaryFile("e.jsonl", texts.joined(separator: "\n"))
        let gz = try gzipped(path)
        XCTAssertEqual(try lines(gz).map(\.1), texts)
    }

    func testTruncatedGzipIsAnError() throws {
        let texts = (0..<50_000).map { "{\"n\": \($0), \"v\": \($0 * 7919 % 10007)}" }
        let gz = try gzipped(try temporaryFile("t.jsonl", texts.joined(separator: "\n")))
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = try temporaryFile("cut.jsonl.gz", data.prefix(data.count / 2))
        XCTAssertThrowsError(try lines(cut)) { e in
            guard case .unreadable(let p, _)? = e as? ImportFileError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, cut)
        }
    }

    func testMissingFileIsAnError() {
        XCTAssertThrowsError(try lines("/nonexistent/x.jsonl")) { e in
            guard case .cannotOpen(let p, _)? = e as? ImportFileError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, "/nonexistent/x.jsonl")
        }
    }

    func testOverlongLineIsReportedAndSkipped() throws {
        let long = String(repeating: "y", count: JSONLinesReader.maxLineBytes + 10)
        let path = try temporaryFile("long.jsonl", "{\"a\":1}\n\(long)\n{\"b\":2}\n\(long)")
        let read = try lines(path)
        XCTAssertEqual(read.map(\.0), [1, 2, 3, 4])
        XCTAssertEqual(read.map(\.2), [false, true, false, true])
        XCTAssertEqual(read[2].1, "{\"b\":2}")
        // A line of exactly the limit is still read.
        let exact = String(repeating: "z", count: JSONLinesReader.maxLineBytes)
        XCTAssertEqual(try lines(try temporaryFile("exact.jsonl", exact + "\n{}")).map(\.2), [false, false])
    }
}
