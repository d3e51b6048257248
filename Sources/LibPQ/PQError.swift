/// A five-character SQLSTATE code, with the ones Tower reacts to named.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let undefinedColumn = SQLState(rawValue: "42703")
    public static let undefinedObject = SQLState(rawValue: "42704")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    public static let readOnlySQLTransaction = SQLState(rawValue: "25006")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    /// A statement canceled: `statement_timeout` ran out, or an administrator canceled it.
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let diskFull = SQLState(rawValue: "53100")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let crashShutdown = SQLState(rawValue: "57P02")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let dataException = SQLState(rawValue: "22000")

    /// The two-character class ("23" integrity, "08" connection, …).
    public var errorClass: String { String(rawValue.prefix(2)) }
    public var description: String { rawValue }
}

/// An error the server reported for a statement.
public struct ServerError: Sendable, Equatable {
    public let sqlState: SQLState
    public let severity: String
    public let message: String
    public let detail: String?
    public let hint: String?
}

/// Everything that can go wrong talking to PostgreSQL. Each case's description says what to do next.
public enum PQError: Error, CustomStringConvertible, Sendable {
    /// No connection could be made (bad URL, server down, wrong password).
    case connectionFailed(String)
    /// The connection broke while in use; the statement's effect is unknown unless it was in a transaction.
    case connectionLost(String)
    /// The server rejected a statement.
    case server(ServerError)
    /// A value could not be decoded into the requested Swift type.
    case decoding(column: String, message: String)
    /// The connection was used in a way the wrapper does not allow.
    case misuse(String)

    /// The SQLSTATE, for server errors.
    public var sqlState: SQLState? {
        if case .server(let e) = self { return e.sqlState }
        return nil
    }

    /// True for a refusal caused by a statement's data (SQLSTATE classes 22 and 23), not by the server or schema.
    /// Whose data it was is the caller's to tell: the event's, or values Tower computed itself.
    public var isDataError: Bool { ["22", "23"].contains(sqlState?.errorClass ?? "") }

    /// True for failures that a retry after reconnecting (or re-running the transaction) can cure.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionLost: return true
        case .server(let e):
            return e.sqlState.errorClass == "08" || [.serializationFailure, .deadlockDetected, .adminShutdown,
                                                     .crashShutdown, .cannotConnectNow].contains(e.sqlState)
        case .decoding, .misuse: return false
        }
    }

    public var description: String {
        switch self {
        case .connectionFailed(let m):
            return "cannot connect to PostgreSQL: \(m) — check TOWER_DATABASE_URL and that the server runs (locally: deploy/local.sh up)"
        case .connectionLost(let m):
            return "lost the PostgreSQL connection: \(m) — it is re-established with backoff; check the server if this repeats"
        case .server(let e):
            var s = "PostgreSQL error \(e.sqlState): \(e.message)"
            if let d = e.detail { s += " (\(d))" }
            if let h = e.hint { s += " hint: \(h)" }
            if let advice = PQError.advice[e.sqlState] { s += " — \(advice)" }
            return s
        case .decoding(let column, let m):
            return "cannot decode column \(column): \(m) — cast the column in SQL to a supported type"
        case .misuse(let m):
            return "PostgreSQL wrapper misuse: \(m)"
        }
    }

    private static let advice: [SQLState: String] = [
        .undefinedTable: "the schema is missing or old: run `tower migrate`",
        .undefinedColumn: "the schema is old: run `tower migrate`",
        .insufficientPrivilege: "the role lacks this right: use the read/write role's URL (TOWER_DATABASE_URL) or grant it",
        .readOnlySQLTransaction: "this connection is read-only (replica or read-only transaction): write through the primary",
        .uniqueViolation: "a row with this key already exists",
        .undefinedObject: "a type or extension is missing: is pgvector installed (CREATE EXTENSION vector)?",
        .diskFull: "the database server's disk is full: free space or grow the volume",
        .queryCanceled: "the statement ran past statement_timeout (or was canceled): look for slow queries or locks held by other sessions",
        .lockNotAvailable: "a lock held by another session outlasted lock_timeout: find it in pg_locks / pg_stat_activity",
    ]
}
