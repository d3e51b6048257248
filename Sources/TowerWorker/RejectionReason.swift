import TowerEvents

/// Why a message was refused. `code` is the stable machine-readable form: it is the dead-letter
/// message attribute `TowerRejectReason`, the `reason` label of the rejection metric and the
/// `reason` field of the log line; `description` is the human explanation.
public enum RejectionReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// The queue's reply could not be read for this message (Body not valid Unicode, no Body): `SQSMessage.unreadable`.
    case unreadableMessage(String)
    /// The body breaks the event contract (`EventContract`): the same answer `tower events import` and `tower send` give.
    case invalidEvent(EventRejection)
    /// The product has no row or no vector, still after the bounded number of receives.
    case productWithoutVector(productID: Int64, receives: Int)
    /// The database refused the event's data (SQLSTATE class 22 or 23) while its batch-mates were applied.
    case rejectedByDatabase(String)

    public var code: String {
        switch self {
        case .unreadableMessage: return "unreadable_message"
        case .invalidEvent(let rejection): return rejection.code
        case .productWithoutVector: return "product_without_vector"
        case .rejectedByDatabase: return "rejected_by_database"
        }
    }

    /// Every code, for documentation and for pre-registering metric labels.
    public static let allCodes = ["unreadable_message"] + EventRejection.allCodes + ["product_without_vector", "rejected_by_database"]

    public var description: String {
        switch self {
        case .unreadableMessage(let why):
            return "the queue delivered a message that cannot be read (\(why)); the DLQ copy's body is what could be salvaged"
        case .invalidEvent(let rejection):
            return rejection.description
        case .productWithoutVector(let product, let receives):
            return "product \(product) has no vector after \(receives) receives: import and embed it (`tower catalog import`, `tower catalog embed`), then resend the event"
        case .rejectedByDatabase(let error):
            return "PostgreSQL refused the event: \(error)"
        }
    }
}
