import Foundation
import TowerConfig
import TowerJSON

/// One line of an event import (`events.jsonl`): the first four fields are required.
///
/// | field | type |
/// | --- | --- |
/// | `customer_id` | int64, as a JSON integer or a numeric string |
/// | `product_id` | int64, as a JSON integer or a numeric string |
/// | `event_name` | one of the configured event types (TOWER_EVENT_WEIGHTS) |
/// | `occurred_at` | ISO-8601 or epoch ms (see `Timestamp`) |
/// | `event_id` | optional: the producer's id of the event (`ProducerEventID`); a repeat within TOWER_EVENT_ID_HORIZON is skipped |
///
/// Other fields are ignored. The product need not be in the catalog yet.
public struct EventRecord: Equatable, Sendable {
    public var customerID: Int64
    public var productID: Int64
    public var eventName: String
    public var occurredAt: Date
    public var eventID: String?

    public init(customerID: Int64, productID: Int64, eventName: String, occurredAt: Date, eventID: String? = nil) {
        self.customerID = customerID
        self.productID = productID
        self.eventName = eventName
        self.occurredAt = occurredAt
        self.eventID = eventID
    }

    /// Validates one parsed line against the known event types; throws the `RecordError` that rejects it.
    public init(_ r: JSONRecord, eventTypes: EventTypes) throws {
        customerID = try r.id("customer_id")
        productID = try r.id("product_id")
        eventName = try r.string("event_name")
        guard eventTypes.contains(eventName) else { throw RecordError.unknownEventName(eventName, known: eventTypes.names) }
        occurredAt = try r.timestamp("occurred_at")
        eventID = try Self.eventID(r)
    }

    /// The optional `event_id`, exactly as written (not trimmed), valid for `ProducerEventID`.
    private static func eventID(_ r: JSONRecord) throws -> String? {
        let key = "event_id"
        guard let v = r.members[key], v != .null else { return nil }
        guard case .string(let s) = v else { throw RecordError.wrongType(field: key, expected: "a string", got: v.kind) }
        if let problem = ProducerEventID.problem(with: s) { throw RecordError.invalidValue(field: key, reason: problem) }
        return s
    }
}
