import TowerJSON
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(s) }

    private func assertSyntaxError(_ s: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(s), file: file, line: line) { e in
            guard let e = e as? JSONSyntaxError else { return XCTFail("\(e)", file: file, line: line) }
            XCTAssertTrue(e.message.contains(fragment), "\(e.message) lacks \(fragment)", file: file, line: line)
        }
    }

    func testValues() throws {
        XCTAssertEqual(try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "a2": {}} "#),
                       .object(["a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]),
                                "b": .object(["c": .string("d")]), "a2": .object([:])]))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("0"), .number("0"))
        XCTAssertThrowsError(try parse(#"{"k": 1, "j": {"k": 0}, "k": 2}"#), "a repeated member name is ambiguous") {
            XCTAssertEqual(($0 as? JSONSyntaxError)?.duplicateName, "k")
            XCTAssertEqual(($0 as? JSONSyntaxError)?.description, #"duplicate member name "k" at byte 25"#)
        }
        XCTAssertEqual(try parse(#"{"k": 1, "j": {"k": 0}}"#)["j"]?["k"], .number("0"), "the same name in different objects is fine")
    }

    func testNumbersKeepTheirTextBeyondDoublePrecision() throws {
        XCTAssertEqual(try parse("9223372036854775807"), .number("9223372036854775807"))
        XCTAssertEqual(try parse("-9223372036854775809"), .number("-9223372036854775809"))
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u00e9\u65E5 \ud83d\uDED2""#), .string("é日 🛒"))
        XCTAssertEqual(try parse("\"ünï 🛒\""), .string("ünï 🛒"))
    }

    func testSyntaxErrors() {
        assertSyntaxError("", "expected a value")
        assertSyntaxError(#"{"a": 1"#, "expected ',' or '}'")
        assertSyntaxError(#"{"a" 1}"#, "expected ':'")
        assertSyntaxError(#"{a: 1}"#, "member name")
        assertSyntaxError("[1, 2,]", "unexpected character")
        assertSyntaxError("{} x", "unexpected data after")
        assertSyntaxError("01", "leading zero")
        assertSyntaxError("1.", "digits must follow '.'")
        assertSyntaxError("1e", "exponent")
        assertSyntaxError("-", "invalid number")
        assertSyntaxError("tru", "expected true")
        assertSyntaxError("\"tab\there\"", "control character")
        assertSyntaxError(#""\x""#, "invalid escape")
        assertSyntaxError(#""\ud83d""#, "lone high surrogate")
        assertSyntaxError(#""\udc00""#, "lone low surrogate")
        assertSyntaxError(#""\u12G4""#, "hex digit")
        assertSyntaxError("\"open", "unterminated string")
        assertSyntaxError(String(repeating: "[", count: JSONParser.maxDepth + 1), "nesting deeper")
        XCTAssertNoThrow(try parse(String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)))
    }

    func testInvalidUTF8IsRejected() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try JSONParser.parse($0) }) {
            XCTAssertTrue(($0 as? JSONSyntaxError)?.message.contains("UTF-8") ?? false, "\($0)")
        }
    }

    func testKeptUndecodableStringsSpoilOnlyTheirValue() throws {
        // [{"b":"ok"}, {"b":"a<FF>"}, {"b":"\ud800x"}, {"b":"\udc00\u0041"}, {"b":"\ud83d\u0041"}]
        var bytes = Array(#"[{"b":"ok"},{"b":"a"#.utf8) + [0xFF] + Array(#""},{"b":"\ud800x"},"#.utf8)
        bytes += Array(#"{"b":"\udc00\u0041"},{"b":"\ud83d\u0041"}]"#.utf8)
        XCTAssertThrowsError(try JSONValue.parse(bytes), "strict by default")
        let items = try XCTUnwrap(try JSONValue.parse(bytes, keepingUndecodableStrings: true).array)
        XCTAssertEqual(items[0]["b"], .string("ok"))
        let salvaged = items.dropFirst().map { item -> String? in
            guard case .undecodableString(let s, let reason)? = item["b"] else { return nil }
            XCTAssertTrue(reason.contains("UTF-8") || reason.contains("surrogate"), reason)
            return s
        }
        XCTAssertEqual(salvaged, ["a\u{FFFD}", "\u{FFFD}x", "\u{FFFD}A", "\u{FFFD}A"])
        // Syntax errors still fail the whole text, and member names must be valid.
        XCTAssertThrowsError(try JSONValue.parse(Array(#"[{"b":"\ud800"#.utf8), keepingUndecodableStrings: true))
        XCTAssertThrowsError(try JSONValue.parse(Array(#"{"\ud800":1}"#.utf8), keepingUndecodableStrings: true))
    }

    func testErrorOffsetPointsAtTheProblem() {
        XCTAssertThrowsError(try parse(#"{"a": x}"#)) { XCTAssertEqual(($0 as? JSONSyntaxError)?.offset, 6) }
    }
}
