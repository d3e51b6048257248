import Foundation
import TowerConfig
import TowerStore

/// One valid interaction event, decoded from a queue message body.
public struct EventMessage: Sendable, Equatable {
    public var customerID: Int64
    public var productID: Int64
    public var eventName: String
    /// `occurred_at` from the body, else the message's SentTimestamp.
    public var occurredAt: Date
    /// The producer's `event_id` (see `ProducerEventID`), nil when the body has none.
    public var eventID: String?

    public init(customerID: Int64, productID: Int64, eventName: String, occurredAt: Date, eventID: String? = nil) {
        self.customerID = customerID
        self.productID = productID
        self.eventName = eventName
        self.occurredAt = occurredAt
        self.eventID = eventID
    }
}

/// Why a message was refused. `code` is the stable machine-readable form: it is the dead-letter
/// message attribute `TowerRejectReason`, the `reason` label of the rejection metric and the
/// `reason` field of the log line; `description` is the human explanation.
public enum RejectionReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// The queue's reply could not be read for this message (Body not valid Unicode, no Body): `SQSMessage.unreadable`.
    case unreadableMessage(String)
    /// The body is larger than the configured limit.
    case tooLarge(bytes: Int, limit: Int)
    /// The body is not valid JSON, or not a JSON object.
    case malformedJSON(String)
    /// A required field is absent (or null).
    case missingField(String)
    /// A field has the wrong JSON type (for example a fraction or a boolean as an id).
    case wrongType(field: String, expected: String)
    /// `event_name` is not one of the configured event types.
    case unknownEventType(String)
    /// An id is not in 1…9223372036854775807.
    case idOutOfRange(field: String, value: String)
    /// `occurred_at` does not parse, has no time zone, or lies too far in the future.
    case badOccurredAt(String)
    /// The product has no row or no vector, still after the bounded number of receives.
    case productWithoutVector(productID: Int64, receives: Int)
    /// The database refused the event's data (SQLSTATE class 22 or 23) while its batch-mates were applied.
    case rejectedByDatabase(String)
    /// `event_id` is a string but not a usable one (`ProducerEventID.problem`).
    case badEventID(String)

    public var code: String {
        switch self {
        case .unreadableMessage: return "unreadable_message"
        case .tooLarge: return "too_large"
        case .malformedJSON: return "malformed_json"
        case .missingField: return "missing_field"
        case .wrongType: return "wrong_type"
        case .unknownEventType: return "unknown_event_type"
        case .idOutOfRange: return "id_out_of_range"
        case .badOccurredAt: return "bad_occurred_at"
        case .productWithoutVector: return "product_without_vector"
        case .rejectedByDatabase: return "rejected_by_database"
        case .badEventID: return "bad_event_id"
        }
    }

    /// Every code, for documentation and for pre-registering metric labels.
    public static let allCodes = ["unreadable_message", "too_large", "malformed_json", "missing_field", "wrong_type", "unknown_event_type",
                                  "id_out_of_range", "bad_occurred_at", "product_without_vector", "rejected_by_database",
                                  "bad_event_id"]

    public var description: String {
        switch self {
        case .unreadableMessage(let why):
            return "the queue delivered a message that cannot be read (\(why)); the DLQ copy's body is what could be salvaged"
        case .tooLarge(let bytes, let limit):
            return "body is \(bytes) bytes, over the \(limit)-byte limit (TOWER_MAX_MESSAGE_BYTES)"
        case .malformedJSON(let why):
            return "body is not a JSON object: \(why)"
        case .missingField(let field):
            return "required field \(field) is missing"
        case .wrongType(let field, let expected):
            return "field \(field) has the wrong type: expected \(expected)"
        case .unknownEventType(let name):
            return "event_name \(name.debugDescription) is not a configured event type (TOWER_EVENT_WEIGHTS)"
        case .idOutOfRange(let field, let value):
            return "\(field) \(value) is out of range: ids are integers from 1 to 9223372036854775807"
        case .badOccurredAt(let why):
            return "occurred_at \(why)"
        case .productWithoutVector(let product, let receives):
            return "product \(product) has no vector after \(receives) receives: import and embed it (`tower catalog import`, `tower catalog embed`), then resend the event"
        case .rejectedByDatabase(let error):
            return "PostgreSQL refused the event: \(error)"
        case .badEventID(let why):
            return "event_id \(why): it must be a string of 1 to \(ProducerEventID.maxBytes) bytes without control characters"
        }
    }
}

/// Decodes and validates message bodies:
/// `{"customer_id": <int64 or numeric string>, "product_id": <int64 or numeric string>,
///   "event_name": "<configured type>", "occurred_at": <optional ISO-8601 with zone, or epoch milliseconds>,
///   "event_id": <optional string, the producer's id of the event: `ProducerEventID`>}`.
/// Unknown fields are ignored. Without `occurred_at` the message's SentTimestamp is the event time.
public struct EventDecoder: Sendable {
    public var eventTypes: EventTypes
    /// Largest accepted body, in UTF-8 bytes.
    public var maxBodyBytes: Int
    /// How far `occurred_at` may lie ahead of the receive time (clock skew between producers).
    public var maxFutureSkew: TimeInterval

    public static let defaultMaxBodyBytes = 16_384

    public init(eventTypes: EventTypes, maxBodyBytes: Int = EventDecoder.defaultMaxBodyBytes, maxFutureSkew: TimeInterval = 3_600) {
        self.eventTypes = eventTypes
        self.maxBodyBytes = maxBodyBytes
        self.maxFutureSkew = maxFutureSkew
    }

    /// The event in `body`, or why it is refused.
    /// - Parameters:
    ///   - sentTimestamp: the queue's SentTimestamp, used when the body has no `occurred_at`.
    ///   - now: the receive time, for the future-skew check.
    public func decode(_ body: String, sentTimestamp: Date, now: Date = Date()) -> Result<EventMessage, RejectionReason> {
        let size = body.utf8.count
        guard size <= maxBodyBytes else { return .failure(.tooLarge(bytes: size, limit: maxBodyBytes)) }
        let raw: RawBody
        do {
            raw = try JSONDecoder().decode(RawBody.self, from: Data(body.utf8))
        } catch let reason as RejectionReason {
            return .failure(reason)
        } catch {
            return .failure(.malformedJSON(Self.summary(of: error)))
        }
        guard let customer = raw.customerID else { return .failure(.missingField("customer_id")) }
        guard let product = raw.productID else { return .failure(.missingField("product_id")) }
        guard let name = raw.eventName else { return .failure(.missingField("event_name")) }
        guard eventTypes.contains(name) else { return .failure(.unknownEventType(name)) }
        let occurredAt = raw.occurredAt ?? sentTimestamp
        guard occurredAt.timeIntervalSince(now) <= maxFutureSkew else {
            return .failure(.badOccurredAt("is more than \(Int(maxFutureSkew)) s in the future"))
        }
        return .success(EventMessage(customerID: customer, productID: product, eventName: name, occurredAt: occurredAt,
                                     eventID: raw.eventID))
    }

    /// A short, single-line account of a JSON parse failure (no body content).
    private static func summary(of error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.typeMismatch(_, let c): return c.debugDescription
        default: return "unparseable"
        }
    }
}

/// The body's fields before validation; field-level problems throw a `RejectionReason`.
private struct RawBody: Decodable {
    var customerID: Int64?
    var productID: Int64?
    var eventName: String?
    var occurredAt: Date?
    var eventID: String?

    enum Keys: String, CodingKey {
        case customerID = "customer_id", productID = "product_id", eventName = "event_name", occurredAt = "occurred_at"
        case eventID = "event_id"
    }

    init(from decoder: any Decoder) throws {
        let c: KeyedDecodingContainer<Keys>
        do { c = try decoder.container(keyedBy: Keys.self) } catch {
            throw RejectionReason.malformedJSON("the top level must be an object")
        }
        customerID = try Self.id(c, .customerID)
        productID = try Self.id(c, .productID)
        if try c.isAbsent(.eventName) {
            eventName = nil
        } else {
            do { eventName = try c.decode(String.self, forKey: .eventName) } catch {
                throw RejectionReason.wrongType(field: "event_name", expected: "a string")
            }
        }
        occurredAt = try Self.time(c)
        eventID = try Self.eventID(c)
    }

    /// `event_id`: an optional string that `ProducerEventID` accepts.
    private static func eventID(_ c: KeyedDecodingContainer<Keys>) throws -> String? {
        if try c.isAbsent(.eventID) { return nil }
        guard let id = try? c.decode(String.self, forKey: .eventID) else {
            throw RejectionReason.wrongType(field: "event_id", expected: "a string")
        }
        if let problem = ProducerEventID.problem(with: id) { throw RejectionReason.badEventID(problem) }
        return id
    }

    /// An id: a JSON integer or a string of decimal digits, in 1…Int64.max.
    private static func id(_ c: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> Int64? {
        let field = key.rawValue
        if try c.isAbsent(key) { return nil }
        let value: Int64
        if let n = try? c.decode(Int64.self, forKey: key) {
            value = n
        } else if let s = try? c.decode(String.self, forKey: key) {
            let t = s.trimmingCharacters(in: .whitespaces)
            let digits = t.hasPrefix("-") ? t.dropFirst() : Substring(t)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw RejectionReason.wrongType(field: field, expected: "an integer or a string of digits")
            }
            guard let n = Int64(t) else { throw RejectionReason.idOutOfRange(field: field, value: t) }
            value = n
        } else if let d = try? c.decode(Double.self, forKey: key), d == d.rounded(), d.isFinite {
            throw RejectionReason.idOutOfRange(field: field, value: String(format: "%.0f", d))
        } else {
            throw RejectionReason.wrongType(field: field, expected: "an integer or a string of digits")
        }
        guard value >= 1 else { throw RejectionReason.idOutOfRange(field: field, value: String(value)) }
        return value
    }

    /// `occurred_at`: an ISO-8601 string with a time zone, or epoch milliseconds (a JSON number).
    private static func time(_ c: KeyedDecodingContainer<Keys>) throws -> Date? {
        if try c.isAbsent(.occurredAt) { return nil }
        if let ms = try? c.decode(Double.self, forKey: .occurredAt) {
            guard ms.isFinite, ms >= 0, ms < 253_402_300_800_000 else {
                throw RejectionReason.badOccurredAt("\(ms) is not epoch milliseconds between 1970 and 9999")
            }
            return Date(timeIntervalSince1970: ms / 1000)
        }
        guard let s = try? c.decode(String.self, forKey: .occurredAt) else {
            throw RejectionReason.wrongType(field: "occurred_at", expected: "an ISO-8601 string or epoch milliseconds")
        }
        guard let date = try? Date.ISO8601FormatStyle().parse(s) else {
            throw RejectionReason.badOccurredAt("\(s.prefix(64).debugDescription) is not an ISO-8601 date-time with a time zone, such as 2024-05-01T12:00:00Z")
        }
        return date
    }
}

private extension KeyedDecodingContainer {
    /// True when the key is absent or holds null.
    func isAbsent(_ key: Key) throws -> Bool {
        try !contains(key) || decodeNil(forKey: key)
    }
}
