/// Why `EventContract` refused an event body. `code` is the stable, operator-visible name (the dead letter's
/// `TowerRejectReason`, the `reason` label of `tower_events_rejected_total`, the import report); `description`
/// says which rule failed. Both depend on the body and the configuration only, so every path gives the same.
public enum EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is larger than the configured limit.
    case tooLarge(bytes: Int, limit: Int)
    /// Not strict RFC 8259 JSON (the parser's message and byte offset), or not a JSON object.
    case malformedJSON(String)
    /// A member name appears twice in one object: readers disagree on which copy counts.
    case duplicateField(String)
    /// A required field is absent or null.
    case missingField(String)
    /// A field has the wrong JSON type or form (a fraction, exponent, padding or non-ASCII digits in an id…).
    case wrongType(field: String, expected: String)
    /// `event_name` is not exactly one of the configured event types.
    case unknownEventType(String)
    /// An id is an integer outside 1…9223372036854775807.
    case idOutOfRange(field: String, value: String)
    /// `occurred_at` breaks a rule of its own (the text says which).
    case badOccurredAt(String)
    /// `event_id` is a string but not a usable one.
    case badEventID(String)

    public var code: String {
        switch self {
        case .tooLarge: return "too_large"
        case .malformedJSON: return "malformed_json"
        case .duplicateField: return "duplicate_field"
        case .missingField: return "missing_field"
        case .wrongType: return "wrong_type"
        case .unknownEventType: return "unknown_event_type"
        case .idOutOfRange: return "id_out_of_range"
        case .badOccurredAt: return "bad_occurred_at"
        case .badEventID: return "bad_event_id"
        }
    }

    /// Every code, in documentation order.
    public static let allCodes = ["too_large", "malformed_json", "duplicate_field", "missing_field", "wrong_type",
                                  "unknown_event_type", "id_out_of_range", "bad_occurred_at", "bad_event_id"]

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            return "body is \(bytes) bytes, over the \(limit)-byte limit (TOWER_MAX_MESSAGE_BYTES)"
        case .malformedJSON(let why):
            return "body is not a strict JSON object: \(why)"
        case .duplicateField(let name):
            return "field \(EventContract.quoted(name)) appears more than once: send each field once"
        case .missingField(let field):
            return "required field \(field) is missing"
        case .wrongType(let field, let expected):
            return "field \(field) has the wrong type: expected \(expected)"
        case .unknownEventType(let name):
            return "event_name \(EventContract.quoted(name)) is not a configured event type (TOWER_EVENT_WEIGHTS)"
        case .idOutOfRange(let field, let value):
            return "\(field) \(value) is out of range: ids are integers from 1 to 9223372036854775807"
        case .badOccurredAt(let why):
            return "occurred_at \(why)"
        case .badEventID(let why):
            return "event_id \(why): it must be a string of 1 to \(EventContract.maxEventIDBytes) bytes without control characters"
        }
    }
}
