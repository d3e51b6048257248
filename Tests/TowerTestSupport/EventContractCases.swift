/// The accept/reject table of the event contract (docs/events.md). `TowerEventsTests` runs it through
/// `EventContract`; `EventPathsTests` (TowerWorkerTests) through towerd on the real queue, `tower events import`
/// and `tower send`, which must all give these decisions and the same reasons.
public struct EventContractCase: Sendable {
    public enum Expected: Sendable, Equatable {
        /// Accepted as this event (`at`: µs since the epoch).
        case accepted(customer: Int64, product: Int64, event: String, at: Int64)
        /// Accepted on the queue with its SentTimestamp as the time; an import line needs `occurred_at` (`missing_field`).
        case acceptedWithoutTime(customer: Int64, product: Int64, event: String)
        /// Refused for this reason code.
        case rejected(String)
    }

    public let name: String
    /// One line: no line breaks, so the same text is a queue body, an import line and a command-line argument.
    public let body: String
    public let expected: Expected
    /// The producer's `event_id` an accepted body carries.
    public let eventID: String?

    init(_ name: String, _ body: String, _ expected: Expected, eventID: String? = nil) {
        self.name = name
        self.body = body
        self.expected = expected
        self.eventID = eventID
    }

    /// 2026-11-30T12:00:00Z, the time of most cases.
    public static let at: Int64 = 1_796_040_000_000_000
    private static let time = #""occurred_at": "2026-11-30T12:00:00Z""#
    private static let rest = #""product_id": 1, "event_name": "product_viewed", \#(time)"#

    private static func accepted(_ name: String, _ customer: Int64, _ body: String, at: Int64 = at, eventID: String? = nil) -> EventContractCase {
        EventContractCase(name, body, .accepted(customer: customer, product: 1, event: "product_viewed", at: at), eventID: eventID)
    }

    private static func rejected(_ name: String, _ code: String, _ body: String) -> EventContractCase {
        EventContractCase(name, body, .rejected(code))
    }

    /// A body with `occurred_at` set to `value` (JSON text).
    private static func time(_ value: String) -> String {
        #"{"customer_id": 1, "product_id": 1, "event_name": "product_viewed", "occurred_at": \#(value)}"#
    }

    /// Every case, accepted ones first; accepted cases have distinct customers.
    public static let all: [EventContractCase] = [
        accepted("integers", 1001, #"{"customer_id": 1001, \#(rest)}"#),
        accepted("digit strings", 1002, #"{"customer_id": "1002", "product_id": "1", "event_name": "product_viewed", \#(time)}"#),
        accepted("largest id", 9_223_372_036_854_775_807, #"{"customer_id": 9223372036854775807, \#(rest)}"#),
        accepted("unknown fields ignored", 1003, #"{"customer_id": 1003, "extra": [1, {"x": null}], "note": "é", \#(rest)}"#),
        accepted("escaped event name", 1004, #"{"customer_id": 1004, "product_id": 1, "event_name": "product\u005fviewed", \#(time)}"#),
        accepted("lower-case t and z", 1005, #"{"customer_id": 1005, "product_id": 1, "event_name": "product_viewed", "occurred_at": "2026-11-30t12:00:00z"}"#),
        accepted("space separator", 1006, #"{"customer_id": 1006, "product_id": 1, "event_name": "product_viewed", "occurred_at": "2026-11-30 12:00:00Z"}"#),
        accepted("offset and fraction", 1007, #"{"customer_id": 1007, "product_id": 1, "event_name": "product_viewed", "occurred_at": "2026-11-30T14:00:00.25+02:00"}"#,
                 at: at + 250_000),
        accepted("twelve fraction digits", 1008, #"{"customer_id": 1008, "product_id": 1, "event_name": "product_viewed", "occurred_at": "2026-11-30T12:00:00.123456789012Z"}"#,
                 at: at + 123_456),
        accepted("epoch milliseconds", 1009, #"{"customer_id": 1009, "product_id": 1, "event_name": "product_viewed", "occurred_at": 1796040000001}"#,
                 at: at + 1_000),
        accepted("leap second", 1010, #"{"customer_id": 1010, "product_id": 1, "event_name": "product_viewed", "occurred_at": "2016-12-31T23:59:60Z"}"#,
                 at: 1_483_228_800_000_000),
        accepted("event_id kept byte for byte", 1011, #"{"customer_id": 1011, \#(rest), "event_id": " Order-7 \u00e9"}"#, eventID: " Order-7 é"),
        accepted("null optional fields", 1012, #"{"customer_id": 1012, \#(rest), "event_id": null, "extra": null}"#),
        EventContractCase("no occurred_at", #"{"customer_id": 1013, "product_id": 1, "event_name": "product_viewed"}"#,
                          .acceptedWithoutTime(customer: 1013, product: 1, event: "product_viewed")),

        rejected("not JSON", "malformed_json", #"{"customer_id": 1,"#),
        rejected("top-level array", "malformed_json", #"[{"customer_id": 1}]"#),
        rejected("trailing comma", "malformed_json", #"{"customer_id": 1, \#(rest),}"#),
        rejected("comment", "malformed_json", #"{"customer_id": 1, /* c */ \#(rest)}"#),
        rejected("NaN", "malformed_json", #"{"customer_id": NaN, \#(rest)}"#),
        rejected("leading zero", "malformed_json", #"{"customer_id": 012, \#(rest)}"#),
        rejected("plus sign", "malformed_json", #"{"customer_id": +12, \#(rest)}"#),
        rejected("lone surrogate", "malformed_json", #"{"customer_id": 1, "note": "\ud800", \#(rest)}"#),
        rejected("lone low surrogate", "malformed_json", #"{"customer_id": 1, "note": "\udc00x", \#(rest)}"#),
        rejected("byte order mark", "malformed_json", "\u{FEFF}" + #"{"customer_id": 1, \#(rest)}"#),
        rejected("nesting too deep", "malformed_json",
                 #"{"customer_id": 1, \#(rest), "x": \#(String(repeating: "[", count: 70))\#(String(repeating: "]", count: 70))}"#),
        rejected("duplicate customer_id", "duplicate_field", #"{"customer_id": 1, "customer_id": 2, \#(rest)}"#),
        rejected("duplicate nested name", "duplicate_field", #"{"customer_id": 1, "x": {"a": 1, "a": 1}, \#(rest)}"#),
        rejected("missing customer_id", "missing_field", #"{\#(rest)}"#),
        rejected("null customer_id", "missing_field", #"{"customer_id": null, \#(rest)}"#),
        rejected("missing event_name", "missing_field", #"{"customer_id": 1, "product_id": 1, \#(time)}"#),
        rejected("fraction 1.0000000000000001", "wrong_type", #"{"customer_id": 1.0000000000000001, \#(rest)}"#),
        rejected("fraction 12345.0", "wrong_type", #"{"customer_id": 12345.0, \#(rest)}"#),
        rejected("exponent 1.2345e4", "wrong_type", #"{"customer_id": 1.2345e4, \#(rest)}"#),
        rejected("padded id string", "wrong_type", #"{"customer_id": " 12345 ", \#(rest)}"#),
        rejected("NBSP-padded id string", "wrong_type", #"{"customer_id": "\u00a012345", \#(rest)}"#),
        rejected("non-ASCII digits", "wrong_type", #"{"customer_id": "１２３", \#(rest)}"#),
        rejected("leading zero in an id string", "wrong_type", #"{"customer_id": "0123", \#(rest)}"#),
        rejected("boolean id", "wrong_type", #"{"customer_id": true, \#(rest)}"#),
        rejected("numeric event_name", "wrong_type", #"{"customer_id": 1, "product_id": 1, "event_name": 7, \#(time)}"#),
        rejected("boolean occurred_at", "wrong_type", time("true")),
        rejected("numeric event_id", "wrong_type", #"{"customer_id": 1, \#(rest), "event_id": 17}"#),
        rejected("zero id", "id_out_of_range", #"{"customer_id": 0, \#(rest)}"#),
        rejected("negative id string", "id_out_of_range", #"{"customer_id": "-5", \#(rest)}"#),
        rejected("id above 2^63-1", "id_out_of_range", #"{"customer_id": 9223372036854775808, \#(rest)}"#),
        rejected("unknown event type", "unknown_event_type", #"{"customer_id": 1, "product_id": 1, "event_name": "product_teleported", \#(time)}"#),
        rejected("padded event type", "unknown_event_type", #"{"customer_id": 1, "product_id": 1, "event_name": " product_viewed", \#(time)}"#),
        rejected("February 30", "bad_occurred_at", time(#""2024-02-30T12:00:00Z""#)),
        rejected("hour 24", "bad_occurred_at", time(#""2024-05-01T24:00:00Z""#)),
        rejected("trailing junk", "bad_occurred_at", time(#""2024-05-01T12:00:00Zjunk""#)),
        rejected("before 1970", "bad_occurred_at", time(#""1969-12-31T23:59:59Z""#)),
        rejected("no time zone", "bad_occurred_at", time(#""2024-05-01T12:00:00""#)),
        rejected("date only", "bad_occurred_at", time(#""2024-05-01""#)),
        rejected("epoch seconds", "bad_occurred_at", time("1764504000")),
        rejected("fractional epoch milliseconds", "bad_occurred_at", time("1764504000000.5")),
        rejected("far future", "bad_occurred_at", time(#""2099-01-01T00:00:00Z""#)),
        rejected("empty event_id", "bad_event_id", #"{"customer_id": 1, \#(rest), "event_id": ""}"#),
        rejected("too large", "too_large", #"{"customer_id": 1, \#(rest), "pad": "\#(String(repeating: "x", count: 17_000))"}"#),
    ]
}
