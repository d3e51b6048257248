import Foundation

/// One interaction event: a customer did `eventName` to a product at a point in time. The one event type of
/// every layer: a queue body or an import line decoded by `EventContract`, the store's input, the event log
/// read back for training.
public struct InteractionEvent: Sendable, Equatable {
    public var customerID: Int64
    public var productID: Int64
    /// A configured event type (TOWER_EVENT_WEIGHTS).
    public var eventName: String
    /// When it happened, in microseconds since 1970-01-01T00:00:00Z (PostgreSQL's resolution).
    public var occurredAtMicroseconds: Int64
    /// The producer's id of the event (`EventContract.eventIDProblem`), nil when it has none.
    public var eventID: String?

    public init(customerID: Int64, productID: Int64, eventName: String, occurredAtMicroseconds: Int64, eventID: String? = nil) {
        self.customerID = customerID
        self.productID = productID
        self.eventName = eventName
        self.occurredAtMicroseconds = occurredAtMicroseconds
        self.eventID = eventID
    }

    /// `occurredAtMicroseconds` as a `Date` (exact to the microsecond for any time the contract accepts).
    public var occurredAt: Date { Date(timeIntervalSince1970: Double(occurredAtMicroseconds) / 1_000_000) }

    /// Microseconds since the epoch of `date`, rounded to the nearest.
    public static func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
