import Foundation
import TowerJSON
import XCTest

final class JSONWriterTests: XCTestCase {
    func testWriterOutputAndEscaping() throws {
        var w = JSONWriter()
        w.object { w in
            w.field("s", "quote \" backslash \\ newline \n tab \t bell \u{7} sep \u{2028} é 😀")
            w.field("n", -42)
            w.key("b"); w.bool(true)
            w.key("d"); w.double(0.25)
            w.key("nan"); w.double(.nan)
            w.field("list", ["a", "b"])
            w.field("map", ["z": "1", "a": "2"])
            w.key("empty"); w.object { _ in }
        }
        let text = String(decoding: w.bytes, as: UTF8.self)
        XCTAssertEqual(text, #"{"s":"quote \" backslash \\ newline \n tab \t bell \u0007 sep \u2028 é 😀","n":-42,"b":true,"d":0.25,"nan":null,"list":["a","b"],"map":{"a":"2","z":"1"},"empty":{}}"#)
        // Foundation reads back exactly what was written.
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        XCTAssertEqual(json["s"] as? String, "quote \" backslash \\ newline \n tab \t bell \u{7} sep \u{2028} é 😀")
    }

    func testParserReadsWhatFoundationWrites() throws {
        let original: [String: Any] = [
            "Messages": [["MessageId": "m", "Body": "{\"a\":\"\\u00e9\"}\n\t/", "n": 1.5, "t": true, "f": false, "z": NSNull()]],
            "emoji": "😀 and \u{1}",
        ]
        let data = try JSONSerialization.data(withJSONObject: original)
        let value = try JSONValue.parse(Array(data))
        XCTAssertEqual(value["emoji"]?.string, "😀 and \u{1}")
        let message = try XCTUnwrap(value["Messages"]?.array?.first)
        XCTAssertEqual(message["Body"]?.string, "{\"a\":\"\\u00e9\"}\n\t/")
        guard case .number("1.5")? = message["n"], case .null? = message["z"] else { return XCTFail("\(message)") }
        XCTAssertEqual(message["t"]?.bool, true)
        XCTAssertEqual(message["f"]?.bool, false)
    }

    func testParserEscapes() throws {
        let value = try JSONValue.parse(Array(#" { "a" : "\u00e9\ud83d\ude00\/\b\f" , "b" : [ ] , "c" : { } } "#.utf8))
        XCTAssertEqual(value["a"]?.string, "é😀/\u{8}\u{c}")
        XCTAssertEqual(value["b"]?.array?.count, 0)
        XCTAssertEqual(value["c"]?.stringMap, [:])
        XCTAssertNil(value["missing"])
    }

    func testParserRejectsInvalidDocuments() {
        for bad in ["", "{", #"{"a":}"#, #"{"a":1,}"#, "[1 2]", #""unterminated"#, #"{"a":"\x"}"#, "{} extra", "tru", "\"a\u{1}b\"",
                    String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            XCTAssertThrowsError(try JSONValue.parse(Array(bad.utf8)), bad)
        }
    }
}
