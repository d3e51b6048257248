import Foundation
import TowerJSON
import TowerStore
import XCTest

final class RecordTests: XCTestCase {
    private func record(_ json: String) throws -> JSONRecord {
        guard case .object(let members) = try JSONParser.parse(json) else { throw RecordError.notAnObject(kind: "?") }
        return JSONRecord(members: members)
    }

    private func product(_ json: String) throws -> ProductRecord { try ProductRecord(record(json)) }

    private func assertRejects(_ body: @autoclosure () throws -> Any, _ expected: RecordError,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) {
            XCTAssertEqual($0 as? RecordError, expected, file: file, line: line)
        }
    }

    func testFullProduct() throws {
        let p = try product(#"""
            {"product_id": "42", "name": " Trail Runner ", "merchant": "Acme", "categories": ["Shoes", "Running"],
             "color": "red", "price": 89.5, "created_at": "2024-05-01T12:00:00Z", "price_tier": "premium",
             "popularity": 3, "active": false, "unknown": {"ignored": true}}
            """#)
        XCTAssertEqual(p, ProductRecord(productID: 42, name: "Trail Runner", merchant: "Acme", categories: ["Shoes", "Running"],
                                        color: "red", price: 89.5, createdAt: Date(timeIntervalSince1970: 1_714_564_800),
                                        priceTier: "premium", popularity: 3, active: false))
    }

    func testMinimalProductAndNulls() throws {
        XCTAssertEqual(try product(#"{"product_id": 1, "name": "Toy Story (1995)", "merchant": null, "categories": null, "price": null}"#),
                       ProductRecord(productID: 1, name: "Toy Story (1995)"))
        XCTAssertEqual(try product(#"{"product_id": -9223372036854775808, "name": "x", "merchant": ""}"#),
                       ProductRecord(productID: .min, name: "x"))
    }

    func testProductRejections() {
        assertRejects(try product(#"{"name": "x"}"#), .missingField("product_id"))
        assertRejects(try product(#"{"product_id": 1}"#), .missingField("name"))
        assertRejects(try product(#"{"product_id": 1, "name": "  "}"#), .missingField("name"))
        assertRejects(try product(#"{"product_id": 9223372036854775808, "name": "x"}"#),
                      .idOutOfRange(field: "product_id", value: "9223372036854775808"))
        assertRejects(try product(#"{"product_id": "99999999999999999999", "name": "x"}"#),
                      .idOutOfRange(field: "product_id", value: "99999999999999999999"))
        assertRejects(try product(#"{"product_id": 1.5, "name": "x"}"#),
                      .wrongType(field: "product_id", expected: "an integer or a numeric string", got: "\"1.5\""))
        assertRejects(try product(#"{"product_id": "12a", "name": "x"}"#),
                      .wrongType(field: "product_id", expected: "an integer or a numeric string", got: "\"12a\""))
        assertRejects(try product(#"{"product_id": true, "name": "x"}"#),
                      .wrongType(field: "product_id", expected: "an integer or a numeric string", got: "a boolean"))
        assertRejects(try product(#"{"product_id": 1, "name": 5}"#), .wrongType(field: "name", expected: "a string", got: "a number"))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "categories": "Shoes"}"#),
                      .wrongType(field: "categories", expected: "an array of strings", got: "a string"))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "categories": ["a", 2]}"#),
                      .wrongType(field: "categories", expected: "an array of strings", got: "an element that is a number"))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "price": "12"}"#),
                      .wrongType(field: "price", expected: "a number", got: "a string"))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "price": -1}"#),
                      .invalidValue(field: "price", reason: "must be a finite number ≥ 0, got -1"))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "price_tier": "cheap"}"#),
                      .invalidValue(field: "price_tier", reason: "must be one of budget, mid-range, premium, luxury, got \"cheap\""))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "active": "yes"}"#),
                      .wrongType(field: "active", expected: "true or false", got: "a string"))
        assertRejects(try product(#"{"product_id": 1, "name": "x", "created_at": "2024-05-01T12:00:00"}"#),
                      .invalidValue(field: "created_at", reason: "\"2024-05-01T12:00:00\" has no time zone: add Z (UTC) or an offset like +02:00"))
    }

    func testRejectionMessagesSayWhatIsWrong() {
        XCTAssertEqual(RecordError.missingField("name").description, "missing required field \"name\"")
        XCTAssertEqual(RecordError.idOutOfRange(field: "product_id", value: "9223372036854775808").description,
                       "\"product_id\" 9223372036854775808 is out of the int64 range")
        XCTAssertEqual(RecordError.notAnObject(kind: "an array").code, "malformed_json")
    }
}
