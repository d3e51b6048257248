import LibPQ

/// Why a batch's user vectors cannot be written: a fault of Tower's own (the model, the schema), never of the
/// events' data. The batch's transaction is rolled back and the batch stays on the queue; it must not be
/// dead-lettered (the events are healthy), so an operator has to fix the model or the schema.
public enum UserVectorWriteError: Error, CustomStringConvertible, Sendable {
    /// The user tower returned another number of vectors than it was given histories.
    case wrongCount(expected: Int, found: Int)
    /// A vector's width is not the schema's `vector(384)`.
    case wrongWidth(customerID: Int64, expected: Int, found: Int)
    /// A vector holds NaN or ±infinity.
    case nonFinite(customerID: Int64)
    /// PostgreSQL refused the computed vectors with a data error (SQLSTATE class 22/23).
    case refused(PQError)

    public var description: String {
        let fix = "an internal fault, not the events': the batch stays on the queue; check the model (TOWER_MODEL_PATH, reload with SIGHUP) and the schema (`tower migrate`)"
        switch self {
        case .wrongCount(let expected, let found):
            return "the user tower returned \(found) vectors for \(expected) histories — \(fix)"
        case .wrongWidth(let customer, let expected, let found):
            return "the user tower's vector for customer \(customer) has \(found) values, the schema stores \(expected) — \(fix)"
        case .nonFinite(let customer):
            return "the user tower's vector for customer \(customer) holds NaN or infinity — \(fix)"
        case .refused(let error):
            return "PostgreSQL refused the computed user vectors: \(error) — \(fix)"
        }
    }
}

extension UserVectorRepository {
    /// The width of every stored vector (`vector(384)` in the schema).
    public static let dimension = 384

    /// Checks the user tower's output for `customers` (in order) before it is written: one vector each, of the
    /// schema's width, every value finite.
    public static func check(_ vectors: [[Float]], for customers: [Int64]) throws(UserVectorWriteError) {
        guard vectors.count == customers.count else { throw .wrongCount(expected: customers.count, found: vectors.count) }
        for (customer, vector) in zip(customers, vectors) {
            guard vector.count == dimension else { throw .wrongWidth(customerID: customer, expected: dimension, found: vector.count) }
            guard vector.allSatisfy(\.isFinite) else { throw .nonFinite(customerID: customer) }
        }
    }
}
