import TowerConfig
import TowerEvents
import TowerTestSupport
import XCTest

final class EventContractTests: XCTestCase {
    /// 2026-12-03T00:00:00Z: after every accepted case, more than a day before the far-future one.
    private let now: Int64 = 1_796_256_000_000_000
    private let sent: Int64 = 1_796_255_000_000_000
    private let contract = EventContract(eventTypes: .default)

    private func reason(_ body: String, _ contract: EventContract? = nil, file: StaticString = #filePath, line: UInt = #line) -> EventRejection? {
        if case .failure(let r) = (contract ?? self.contract).decode(body, fallbackOccurredAt: sent, now: now) { return r }
        XCTFail("\(body) was accepted", file: file, line: line)
        return nil
    }

    private let base = #""customer_id": 1, "product_id": 2, "event_name": "product_viewed""#

    func testTheTableOnTheQueueAndInFiles() {
        for c in EventContractCase.all {
            let queue = contract.decode(c.body, fallbackOccurredAt: sent, now: now)
            let file = contract.decode(c.body, now: now)
            switch c.expected {
            case .accepted(let customer, let product, let event, let at):
                let expected = InteractionEvent(customerID: customer, productID: product, eventName: event, occurredAtMicroseconds: at, eventID: c.eventID)
                XCTAssertEqual(try queue.get(), expected, c.name)
                XCTAssertEqual(try file.get(), expected, c.name)
            case .acceptedWithoutTime(let customer, let product, let event):
                XCTAssertEqual(try queue.get(), InteractionEvent(customerID: customer, productID: product, eventName: event, occurredAtMicroseconds: sent), c.name)
                XCTAssertEqual(file, .failure(.missingField("occurred_at")), c.name)
            case .rejected(let code):
                guard case .failure(let rejection) = queue else { XCTFail("\(c.name) was accepted"); continue }
                XCTAssertEqual(rejection.code, code, "\(c.name): \(rejection)")
                XCTAssertEqual(file, queue, "\(c.name): a file line gets the queue's answer")
            }
        }
    }

    func testRejectionsSayWhichRuleFailed() {
        XCTAssertEqual(reason(#"{"customer_id": 1, "customer_id": 2, "product_id": 2, "event_name": "product_viewed"}"#), .duplicateField("customer_id"))
        XCTAssertEqual(reason(#"{"product_id": 2, "event_name": "product_viewed"}"#), .missingField("customer_id"))
        XCTAssertEqual(reason(#"{"customer_id": 0, "product_id": 2, "event_name": "product_viewed"}"#), .idOutOfRange(field: "customer_id", value: "0"))
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": -5, "event_name": "product_viewed"}"#), .idOutOfRange(field: "product_id", value: "-5"))
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "product_teleported"}"#), .unknownEventType("product_teleported"))
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "2024-02-30T12:00:00Z"}"#), .badOccurredAt(#""2024-02-30T12:00:00Z" is not a calendar date"#))
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "2024-05-01T24:00:00Z"}"#),
                       .badOccurredAt(#""2024-05-01T24:00:00Z" is not a time of day (hours 00–23, minutes and seconds 00–59)"#))
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "2024-05-01T12:00:00"}"#),
                       .badOccurredAt(#""2024-05-01T12:00:00" has no time zone: add Z (UTC) or an offset like +02:00"#))
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "1969-12-31T23:59:59.999Z"}"#), .badOccurredAt("is before 1970"))
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": 1764504000}"#),
                       .badOccurredAt("epoch milliseconds 1764504000 are before 1973-03-03: if they are seconds, multiply by 1000"))
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "2024-05-01T12:00:60Z"}"#)?.code, "bad_occurred_at", "a leap second only at 23:59 UTC")
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "2024-05-01T12:00:00+24:00"}"#)?.code, "bad_occurred_at")
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": "2024-05-01T12:00:00+0200"}"#)?.code, "bad_occurred_at", "RFC 3339 offsets have a colon")
        XCTAssertEqual(reason(#"{\#(base), "occurred_at": 99999999999999999999}"#)?.code, "bad_occurred_at")
        XCTAssertEqual(reason(#"{"customer_id": "1", "note": "\ud800", "product_id": 2, "event_name": "product_viewed"}"#)?.code, "malformed_json")
        XCTAssertEqual(reason(#"{"customer_id": " 1", "product_id": 2, "event_name": "product_viewed"}"#)?.description,
                       "field customer_id has the wrong type: expected an integer or a string of ASCII digits (no sign, fraction, exponent or spaces)")
        let long = String(repeating: "x", count: 100)
        XCTAssertEqual(reason(#"{"customer_id": 1, "product_id": 2, "event_name": "\#(long)"}"#)?.description,
                       "event_name \"\(long.prefix(64))…\" is not a configured event type (TOWER_EVENT_WEIGHTS)", "hostile text is cut")
    }

    func testOccurredAtMayLieAtMostTheConfiguredSkewAhead() throws {
        let skewed = EventContract(eventTypes: .default, maxFutureSkewSeconds: 60)
        let inAMinute = #"{\#(base), "occurred_at": \#((now + 60_000_000) / 1_000)}"#
        XCTAssertEqual(try skewed.decode(inAMinute, now: now).get().occurredAtMicroseconds, now + 60_000_000)
        let later = #"{\#(base), "occurred_at": \#((now + 61_000_000) / 1_000)}"#
        XCTAssertEqual(reason(later, skewed), .badOccurredAt("lies more than 60 s after the receive time (TOWER_MAX_FUTURE_SKEW)"))
        XCTAssertEqual(EventContract(eventTypes: .default).maxFutureSkewSeconds, 86_400, "a day by default")
        guard case .failure(let rejection) = skewed.decode("{\(base)}", fallbackOccurredAt: now + 61_000_000, now: now) else {
            return XCTFail("the fallback time is checked too")
        }
        XCTAssertEqual(rejection.code, "bad_occurred_at")
    }

    func testSizeLimitIsInBytes() {
        let small = EventContract(eventTypes: .default, maxBytes: 100)
        let body = #"{\#(base), "pad": ""}"#
        let fits = body.replacingOccurrences(of: #""pad": """#, with: #""pad": "\#(String(repeating: "é", count: (100 - body.utf8.count) / 2))""#)
        XCTAssertEqual(fits.utf8.count, 100)
        XCTAssertNoThrow(try small.decode(fits, fallbackOccurredAt: sent, now: now).get())
        let over = fits.replacingOccurrences(of: "é\"", with: "éx\"")
        XCTAssertEqual(reason(over, small), .tooLarge(bytes: 101, limit: 100))
    }

    func testEventIDIsOptionalExactAndBounded() throws {
        func id(_ json: String) throws -> String? { try contract.decode(json, fallbackOccurredAt: sent, now: now).get().eventID }
        XCTAssertNil(try id("{\(base)}"))
        XCTAssertNil(try id(#"{\#(base), "event_id": null}"#))
        let longest = String(repeating: "é", count: 64)
        XCTAssertEqual(try id(#"{\#(base), "event_id": "\#(longest)"}"#), longest, "128 bytes is the limit")
        XCTAssertEqual(reason(#"{\#(base), "event_id": "\#(longest)x"}"#), .badEventID("is 129 bytes, over the 128-byte limit"))
        XCTAssertEqual(reason(#"{\#(base), "event_id": ""}"#), .badEventID("is empty"))
        XCTAssertEqual(reason(#"{\#(base), "event_id": "a\u0000b"}"#)?.code, "bad_event_id", "PostgreSQL text cannot hold NUL")
        XCTAssertEqual(reason(#"{\#(base), "event_id": "a\nb"}"#)?.code, "bad_event_id")
        XCTAssertEqual(reason(#"{\#(base), "event_id": ["x"]}"#), .wrongType(field: "event_id", expected: "a string"))
    }

    func testConfiguredEventTypesNeedNoCodeChange() throws {
        let custom = EventContract(eventTypes: try EventTypes.parse("product_viewed=0.1,product_purchased=8"))
        XCTAssertEqual(try custom.decode(#"{"customer_id":1,"product_id":2,"event_name":"product_purchased"}"#, fallbackOccurredAt: sent, now: now).get().eventName,
                       "product_purchased")
        XCTAssertEqual(reason(#"{"customer_id":1,"product_id":2,"event_name":"product_clicked"}"#, custom), .unknownEventType("product_clicked"))
    }

    func testEncodedBodiesDecodeToTheSameEvent() throws {
        for event in [
            InteractionEvent(customerID: 1, productID: .max, eventName: "product_clicked", occurredAtMicroseconds: 1_764_504_000_123_456, eventID: "a\"b\\c é"),
            InteractionEvent(customerID: 42, productID: 7, eventName: "product_viewed", occurredAtMicroseconds: 951_782_400_000_000),
        ] {
            let body = EventContract.encode(event)
            XCTAssertEqual(try contract.decode(body, now: now).get(), event, body)
            XCTAssertEqual(try contract.decode(EventContract.encode(event, includingTime: false), fallbackOccurredAt: sent, now: now).get().occurredAtMicroseconds, sent)
        }
        XCTAssertEqual(EventTime.rfc3339String(951_782_400_000_000), "2000-02-29T00:00:00Z")
        XCTAssertEqual(EventTime.rfc3339String(1_764_504_000_000_001), "2025-11-30T12:00:00.000001Z")
    }

    func testCodesAreDistinctAndListed() {
        let all: [EventRejection] = [.tooLarge(bytes: 1, limit: 1), .malformedJSON(""), .duplicateField(""), .missingField(""),
                                     .wrongType(field: "", expected: ""), .unknownEventType(""), .idOutOfRange(field: "", value: ""),
                                     .badOccurredAt(""), .badEventID("")]
        XCTAssertEqual(all.map(\.code), EventRejection.allCodes)
        XCTAssertEqual(Set(EventRejection.allCodes).count, all.count)
    }
}
