import Foundation
import TowerConfig
import TowerWorker
import XCTest

final class EventMessageTests: XCTestCase {
    private let sent = Date(timeIntervalSince1970: 1_750_000_000)
    private let decoder = EventDecoder(eventTypes: .default, maxBodyBytes: 256)

    private func decode(_ body: String) -> Result<EventMessage, RejectionReason> {
        decoder.decode(body, sentTimestamp: sent, now: sent)
    }

    private func reason(_ body: String, file: StaticString = #filePath, line: UInt = #line) -> RejectionReason? {
        if case .failure(let r) = decode(body) { return r }
        XCTFail("\(body) was accepted", file: file, line: line)
        return nil
    }

    func testDecodesIntegersAndNumericStringsAndUsesSentTimestampWithoutOccurredAt() {
        XCTAssertEqual(try decode(#"{"customer_id": 42, "product_id": "9223372036854775807", "event_name": "product_clicked", "extra": [1, {"x": null}]}"#).get(),
                       EventMessage(customerID: 42, productID: .max, eventName: "product_clicked", occurredAt: sent))
    }

    func testOccurredAtAsISO8601OrEpochMilliseconds() throws {
        let iso = try decode(#"{"customer_id":1,"product_id":2,"event_name":"product_viewed","occurred_at":"2025-06-15T10:00:00.250+02:00"}"#).get()
        XCTAssertEqual(iso.occurredAt.timeIntervalSince1970, 1_749_974_400.25, accuracy: 1e-6)
        let ms = try decode(#"{"customer_id":1,"product_id":2,"event_name":"product_viewed","occurred_at":1749974400250}"#).get()
        XCTAssertEqual(ms.occurredAt.timeIntervalSince1970, 1_749_974_400.25, accuracy: 1e-6)
        let null = try decode(#"{"customer_id":1,"product_id":2,"event_name":"product_viewed","occurred_at":null}"#).get()
        XCTAssertEqual(null.occurredAt, sent)
    }

    func testEveryRejectionHasItsReason() {
        XCTAssertEqual(reason(#"{"customer_id": 1,"#)?.code, "malformed_json")
        XCTAssertEqual(reason("[1, 2]")?.code, "malformed_json")
        XCTAssertEqual(reason(#""just a string""#)?.code, "malformed_json")
        XCTAssertEqual(reason(#"{"product_id": 2, "event_name": "product_viewed"}"#), .missingField("customer_id"))
        XCTAssertEqual(reason(#"{"customer_id": null, "product_id": 2, "event_name": "product_viewed"}"#), .missingField("customer_id"))
        XCTAssertEqual(reason(#"{"customer_id": 1, "event_name": "product_viewed"}"#), .missingField("product_id"))
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2}"#), .missingField("event_name"))
        XCTAssertEqual(reason(#"{"customer_id": 1.5, "product_id": 2, "event_name": "product_viewed"}"#)?.code, "wrong_type")
        XCTAssertEqual(reason(#"{"customer_id": true, "product_id": 2, "event_name": "product_viewed"}"#)?.code, "wrong_type")
        XCTAssertEqual(reason(#"{"customer_id": "12a", "product_id": 2, "event_name": "product_viewed"}"#)?.code, "wrong_type")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": [2], "event_name": "product_viewed"}"#)?.code, "wrong_type")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": 7}"#)?.code, "wrong_type")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_teleported"}"#), .unknownEventType("product_teleported"))
        XCTAssertEqual(reason(#"{"customer_id": 0, "product_id": 2, "event_name": "product_viewed"}"#), .idOutOfRange(field: "customer_id", value: "0"))
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": -5, "event_name": "product_viewed"}"#), .idOutOfRange(field: "product_id", value: "-5"))
        XCTAssertEqual(reason(#"{"customer_id": 9223372036854775808, "product_id": 2, "event_name": "product_viewed"}"#)?.code, "id_out_of_range")
        XCTAssertEqual(reason(#"{"customer_id": "99999999999999999999", "product_id": 2, "event_name": "product_viewed"}"#)?.code, "id_out_of_range")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_viewed", "occurred_at": "yesterday"}"#)?.code, "bad_occurred_at")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_viewed", "occurred_at": "2025-06-15T10:00:00"}"#)?.code,
                       "bad_occurred_at", "a time without a zone is ambiguous")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_viewed", "occurred_at": -1}"#)?.code, "bad_occurred_at")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_viewed", "occurred_at": "2035-01-01T00:00:00Z"}"#)?.code,
                       "bad_occurred_at", "far in the future")
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_viewed", "occurred_at": {"t": 1}}"#)?.code, "wrong_type")
        let big = #"{"customer_id": 1, "product_id": 2, "event_name": "product_viewed", "pad": "\#(String(repeating: "x", count: 300))"}"#
        XCTAssertEqual(reason(big), .tooLarge(bytes: big.utf8.count, limit: 256))
    }

    func testProducerEventIDIsOptionalExactAndBounded() throws {
        let base = #""customer_id": 1, "product_id": 2, "event_name": "product_viewed""#
        XCTAssertNil(try decode("{\(base)}").get().eventID)
        XCTAssertNil(try decode(#"{\#(base), "event_id": null}"#).get().eventID)
        XCTAssertEqual(try decode(#"{\#(base), "event_id": " Order-7/line 2 \u00e9"}"#).get().eventID, " Order-7/line 2 é", "kept byte for byte")
        let longest = String(repeating: "é", count: 64)
        XCTAssertEqual(try decode(#"{\#(base), "event_id": "\#(longest)"}"#).get().eventID, longest, "128 bytes is the limit")
        XCTAssertEqual(reason(#"{\#(base), "event_id": "\#(longest)x"}"#), .badEventID("is 129 bytes, over the 128-byte limit"))
        XCTAssertEqual(reason(#"{\#(base), "event_id": ""}"#), .badEventID("is empty"))
        XCTAssertEqual(reason(#"{\#(base), "event_id": "a\u0000b"}"#)?.code, "bad_event_id", "PostgreSQL text cannot hold NUL")
        XCTAssertEqual(reason(#"{\#(base), "event_id": "a\nb"}"#)?.code, "bad_event_id")
        XCTAssertEqual(reason(#"{\#(base), "event_id": 17}"#), .wrongType(field: "event_id", expected: "a string"))
        XCTAssertEqual(reason(#"{\#(base), "event_id": ["x"]}"#)?.code, "wrong_type")
    }

    func testConfiguredEventTypesAreAcceptedWithoutCodeChanges() throws {
        let types = try EventTypes.parse("product_viewed=0.1,product_purchased=8")
        let custom = EventDecoder(eventTypes: types)
        XCTAssertEqual(try custom.decode(#"{"customer_id":1,"product_id":2,"event_name":"product_purchased"}"#, sentTimestamp: sent, now: sent).get().eventName,
                       "product_purchased")
        guard case .failure(.unknownEventType("product_clicked")) = custom.decode(#"{"customer_id":1,"product_id":2,"event_name":"product_clicked"}"#,
                                                                                  sentTimestamp: sent, now: sent) else {
            return XCTFail("a type not configured must be rejected")
        }
    }

    func testReasonCodesAreDistinctAndListed() {
        let reasons: [RejectionReason] = [.unreadableMessage(""), .tooLarge(bytes: 1, limit: 1), .malformedJSON(""), .missingField(""), .wrongType(field: "", expected: ""),
                                          .unknownEventType(""), .idOutOfRange(field: "", value: ""), .badOccurredAt(""),
                                          .productWithoutVector(productID: 1, receives: 1), .rejectedByDatabase(""), .badEventID("")]
        XCTAssertEqual(reasons.map(\.code), RejectionReason.allCodes)
        XCTAssertEqual(Set(RejectionReason.allCodes).count, reasons.count)
    }
}
