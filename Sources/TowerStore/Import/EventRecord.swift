import Foundation
import TowerConfig

/// One line of an event import (`events.jsonl`): all four fields are required.
///
/// | field | type |
/// | --- | --- |
/// | `customer_id` | int64, as a JSON integer or a numeric string |
/// | `product_id` | int64, as a JSON integer or a numeric string |
/// | `event_name` | one of the configured event types (TOWER_EVENT_WEIGHTS) |
/// | `occurred_at` | ISO-8601 or epoch ms (see `Timestamp`) |
///
/// Other fields are ignored. The product need not be in the catalog yet.
public struct EventRecord: Equatable, Sendable {
    public var customerID: Int64
    public var productID: Int64
    public var eventName: String
    public var occurredAt: Date

    public init(customerID: Int64, productID: Int64, eventName: String, occurredAt: Date) {
        self.customerID = customerID
        self.productID = productID
        self.eventName = eventName
        self.occurredAt = occurredAt
    }

    /// Validates one parsed line against the known event types; throws the `RecordError` that rejects it.
    public init(_ r: JSONRecord, eventTypes: EventTypes) throws {
        customerID = try r.id("customer_id")
        productID = try r.id("product_id")
        eventName = try r.string("event_name")
        guard eventTypes.contains(eventName) else { throw RecordError.unknownEventName(eventName, known: eventTypes.names) }
        occurredAt = try r.timestamp("occurred_at")
    }
}
