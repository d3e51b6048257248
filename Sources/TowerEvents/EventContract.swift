import TowerConfig
import TowerJSON

/// The one contract of an interaction event body, shared by towerd (queue bodies), `tower events import` (file lines)
/// and `tower send` (which encodes with it and checks what it sends). docs/events.md has the rules as a table:
///
///     {"customer_id": 42, "product_id": "1017", "event_name": "product_clicked",
///      "occurred_at": "2026-11-22T18:12:13.5Z", "event_id": "click-5d1c0b7e"}
///
/// - JSON: strict RFC 8259 (`JSONParser`), a member name at most once per object, an object at the top.
/// - `customer_id`, `product_id`: a JSON integer or a string of ASCII digits (no sign, fraction, exponent, padding
///   or leading zero), 1…2⁶³−1.
/// - `event_name`: exactly a configured type.
/// - `occurred_at`: `EventTime` (RFC 3339 or integer epoch milliseconds), not before 1970 and at most
///   `maxFutureSkewSeconds` after `now`; optional where the caller has a fallback (the queue's SentTimestamp).
/// - `event_id`: optional, a string of 1…`maxEventIDBytes` bytes without control characters, compared byte for byte.
/// - At most `maxBytes` bytes; other fields are ignored.
public struct EventContract: Sendable {
    public var eventTypes: EventTypes
    /// Largest accepted body, in UTF-8 bytes (TOWER_MAX_MESSAGE_BYTES).
    public var maxBytes: Int
    /// How far `occurred_at` may lie after the receive time (TOWER_MAX_FUTURE_SKEW), in seconds.
    public var maxFutureSkewSeconds: Double

    /// The longest accepted `event_id`, in UTF-8 bytes.
    public static let maxEventIDBytes = 128

    public init(eventTypes: EventTypes, maxBytes: Int = TowerSettings.defaultMaxEventBytes,
                maxFutureSkewSeconds: Double = TowerSettings.defaultMaxFutureSkewSeconds) {
        self.eventTypes = eventTypes
        self.maxBytes = maxBytes
        self.maxFutureSkewSeconds = maxFutureSkewSeconds
    }

    /// The contract of these settings' event types and limits.
    public init(_ settings: TowerSettings) {
        self.init(eventTypes: settings.eventTypes, maxBytes: settings.maxEventBytes, maxFutureSkewSeconds: settings.maxFutureSkewSeconds)
    }

    /// The event in `body`, or the rule it breaks.
    /// - Parameters:
    ///   - fallbackOccurredAt: the time of a body without `occurred_at` (µs since the epoch); nil makes the field required.
    ///   - now: the receive time (µs since the epoch), for the future-skew rule.
    public func decode(_ body: UnsafeRawBufferPointer, fallbackOccurredAt: Int64? = nil, now: Int64) -> Result<InteractionEvent, EventRejection> {
        guard body.count <= maxBytes else { return .failure(.tooLarge(bytes: body.count, limit: maxBytes)) }
        let members: [String: JSONValue]
        do {
            guard case .object(let m) = try JSONParser.parse(body) else {
                return .failure(.malformedJSON("the top level must be an object"))
            }
            members = m
        } catch let e as JSONSyntaxError {
            return .failure(e.duplicateName.map(EventRejection.duplicateField) ?? .malformedJSON(e.description))
        } catch {
            return .failure(.malformedJSON("unparseable"))
        }
        do {
            return .success(try fields(members, fallbackOccurredAt: fallbackOccurredAt, now: now))
        } catch {
            return .failure(error)
        }
    }

    /// `decode` of a string's UTF-8.
    public func decode(_ body: String, fallbackOccurredAt: Int64? = nil, now: Int64) -> Result<InteractionEvent, EventRejection> {
        var body = body
        return body.withUTF8 { decode(UnsafeRawBufferPointer($0), fallbackOccurredAt: fallbackOccurredAt, now: now) }
    }

    /// The body of `event` (compact JSON, fields in contract order); without `occurred_at` when `includingTime` is false,
    /// so the receiver's fallback applies.
    public static func encode(_ event: InteractionEvent, includingTime: Bool = true) -> String {
        var w = JSONWriter()
        w.object { w in
            w.field("customer_id", event.customerID)
            w.field("product_id", event.productID)
            w.field("event_name", event.eventName)
            if includingTime { w.field("occurred_at", EventTime.rfc3339String(event.occurredAtMicroseconds)) }
            if let id = event.eventID { w.field("event_id", id) }
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Why `id` is not a usable `event_id` (empty, longer than `maxEventIDBytes`, or holding a control character),
    /// or nil when it is. The id is compared byte for byte: it is never trimmed or case-folded.
    public static func eventIDProblem(_ id: String) -> String? {
        let size = id.utf8.count
        if size == 0 { return "is empty" }
        if size > maxEventIDBytes { return "is \(size) bytes, over the \(maxEventIDBytes)-byte limit" }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains a control character"
        }
        return nil
    }

    /// `text` in double quotes for a rejection, cut to 64 characters (hostile bodies reach logs and dead letters).
    static func quoted(_ text: String) -> String {
        text.count > 64 ? "\"\(text.prefix(64))…\"" : "\"\(text)\""
    }

    // MARK: fields

    private func fields(_ members: [String: JSONValue], fallbackOccurredAt: Int64?, now: Int64) throws(EventRejection) -> InteractionEvent {
        let customer = try Self.id(members, "customer_id")
        let product = try Self.id(members, "product_id")
        let name = try eventName(members)
        let time = try occurredAt(members, fallback: fallbackOccurredAt, now: now)
        return InteractionEvent(customerID: customer, productID: product, eventName: name, occurredAtMicroseconds: time,
                                eventID: try Self.eventID(members))
    }

    private static func present(_ members: [String: JSONValue], _ key: String) -> JSONValue? {
        guard let v = members[key], v != .null else { return nil }
        return v
    }

    /// An id: a JSON integer, or a string of ASCII digits without a leading zero, in 1…Int64.max.
    static func id(_ members: [String: JSONValue], _ field: String) throws(EventRejection) -> Int64 {
        let text: String
        switch present(members, field) {
        case nil: throw EventRejection.missingField(field)
        case .number(let n)?: text = n
        case .string(let s)?: text = s
        default: throw EventRejection.wrongType(field: field, expected: "an integer or a string of digits")
        }
        let b = text.utf8
        let isDigits = { (s: Substring.UTF8View) in !s.isEmpty && s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        if b.first == UInt8(ascii: "-"), isDigits(Substring(text).utf8.dropFirst()) {
            throw EventRejection.idOutOfRange(field: field, value: String(text.prefix(40)))
        }
        guard isDigits(Substring(text).utf8) else {
            throw EventRejection.wrongType(field: field, expected: "an integer or a string of ASCII digits (no sign, fraction, exponent or spaces)")
        }
        guard b.count == 1 || b.first != UInt8(ascii: "0") else {
            throw EventRejection.wrongType(field: field, expected: "digits without a leading zero")
        }
        guard let value = Int64(text), value >= 1 else {
            throw EventRejection.idOutOfRange(field: field, value: String(text.prefix(40)))
        }
        return value
    }

    private func eventName(_ members: [String: JSONValue]) throws(EventRejection) -> String {
        guard let v = Self.present(members, "event_name") else { throw EventRejection.missingField("event_name") }
        guard case .string(let name) = v else { throw EventRejection.wrongType(field: "event_name", expected: "a string") }
        guard eventTypes.contains(name) else { throw EventRejection.unknownEventType(name) }
        return name
    }

    private func occurredAt(_ members: [String: JSONValue], fallback: Int64?, now: Int64) throws(EventRejection) -> Int64 {
        let time: Int64
        switch Self.present(members, "occurred_at") {
        case nil:
            guard let fallback else { throw EventRejection.missingField("occurred_at") }
            time = fallback
        case .string(let s)?: time = try EventTime.rfc3339(s).get()
        case .number(let n)?: time = try EventTime.epochMilliseconds(n).get()
        default: throw EventRejection.wrongType(field: "occurred_at", expected: "an RFC 3339 string or integer epoch milliseconds")
        }
        guard time >= 0 else { throw EventRejection.badOccurredAt("is before 1970") }
        guard Double(time - now) <= maxFutureSkewSeconds * 1_000_000 else {
            throw EventRejection.badOccurredAt("lies more than \(Int(maxFutureSkewSeconds)) s after the receive time (TOWER_MAX_FUTURE_SKEW)")
        }
        return time
    }

    private static func eventID(_ members: [String: JSONValue]) throws(EventRejection) -> String? {
        guard let v = present(members, "event_id") else { return nil }
        guard case .string(let id) = v else { throw EventRejection.wrongType(field: "event_id", expected: "a string") }
        if let problem = eventIDProblem(id) { throw EventRejection.badEventID(problem) }
        return id
    }
}
