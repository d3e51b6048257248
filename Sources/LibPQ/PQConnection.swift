import CLibPQ
import Foundation

/// One libpq connection. Statements are parameterised (`$1`, `$2`, …) and results come back in binary.
///
/// Not `Sendable`: a connection belongs to the thread (or task) that opened it, or moves to another one
/// `sending` (as pools hand them out), so the compiler sees that two threads never share one.
/// After the server goes away, `withRetry` reconnects with backoff and re-runs the work.
public final class PQConnection {
    private let url: String
    private let timeouts: ConnectionTimeouts
    private let settings: [(String, String)]
    private var handle: OpaquePointer?
    private var prepared: [String: String] = [:]
    private var preparedOnHandle: Set<String> = []

    /// Connects, retrying transient failures according to `retry`; `timeouts` bound every later wait of this
    /// connection, and `settings` (name, value) are the session's (reconnects included).
    public init(url: String, timeouts: ConnectionTimeouts = .none, settings: [(String, String)] = [],
                retry: RetryPolicy = .none) throws {
        self.url = url
        self.timeouts = timeouts
        self.settings = settings
        var attempt = 0
        while true {
            do { try connect(); return } catch let e as PQError {
                attempt += 1
                guard e.isTransient, retry.allows(after: attempt) else { throw e }
                Thread.sleep(forTimeInterval: retry.delay(forAttempt: attempt - 1))
            }
        }
    }

    deinit { if let handle { PQfinish(handle) } }

    /// True while the connection is up (as far as libpq knows).
    public var isConnected: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Closes the connection; a later statement fails until `reconnect()`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        preparedOnHandle = []
    }

    /// Drops the current connection and opens a new one.
    public func reconnect() throws {
        close()
        try connect()
    }

    private func connect() throws {
        // The URL is expanded as `dbname`; the keywords after it override what it says.
        let parameters = [("dbname", url)] + timeouts.connectionParameters
        let owned: [UnsafeMutablePointer<CChar>?] = parameters.flatMap { [strdup($0.0), strdup($0.1)] }
        defer { owned.forEach { free($0) } }
        let keywords = stride(from: 0, to: owned.count, by: 2).map { UnsafePointer(owned[$0]) } + [nil]
        let values = stride(from: 1, to: owned.count, by: 2).map { UnsafePointer(owned[$0]) } + [nil]
        let h = PQconnectdbParams(keywords, values, 1)
        guard let h, PQstatus(h) == CONNECTION_OK else {
            let message = h.map { Self.trimmed(PQerrorMessage($0)) } ?? "out of memory"
            if let h { PQfinish(h) }
            throw PQError.connectionFailed(ConnectionSecrets.redact(message, conninfo: url))
        }
        PQsetNoticeProcessor(h, { _, _ in }, nil)
        handle = h
        preparedOnHandle = []
        do {
            for (name, value) in timeouts.sessionSettings + settings { try query("SELECT set_config($1, $2, false)", [name, value]) }
        } catch {
            close()
            throw error
        }
    }

    // MARK: statements

    /// Runs one parameterised statement and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ params: [(any PQBindable)?] = []) throws -> PQResult {
        let h = try liveHandle()
        return try withParameters(params) { values, lengths, formats in
            try check(PQexecParams(h, sql, Int32(values.count), nil, values, lengths, formats, 1), handle: h)
        }
    }

    /// Runs one parameterised statement and returns the number of affected rows.
    @discardableResult
    public func execute(_ sql: String, _ params: [(any PQBindable)?] = []) throws -> Int {
        try query(sql, params).affectedRows
    }

    /// Registers a named prepared statement; it is prepared on first use and again after a reconnect.
    public func prepare(_ name: String, _ sql: String) {
        prepared[name] = sql
    }

    /// Runs a statement registered with `prepare`.
    @discardableResult
    public func query(prepared name: String, _ params: [(any PQBindable)?] = []) throws -> PQResult {
        guard let sql = prepared[name] else { throw PQError.misuse("no prepared statement named \(name)") }
        let h = try liveHandle()
        if !preparedOnHandle.contains(name) {
            try check(PQprepare(h, name, sql, 0, nil), handle: h)
            preparedOnHandle.insert(name)
        }
        return try withParameters(params) { values, lengths, formats in
            try check(PQexecPrepared(h, name, Int32(values.count), values, lengths, formats, 1), handle: h)
        }
    }

    /// Runs a script of several statements without parameters (migrations, DDL).
    public func run(script sql: String) throws {
        let h = try liveHandle()
        try check(PQexec(h, sql), handle: h)
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    public func transaction<T>(readOnly: Bool = false, _ body: () throws -> T) throws -> T {
        try execute(readOnly ? "BEGIN READ ONLY" : "BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isConnected { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body`, reconnecting and re-running it after transient failures (connection lost, server
    /// restarting, serialization failure, deadlock — or whatever `retrying` accepts) with backoff. `body` must
    /// be safe to repeat — a whole transaction is. `onRetry` is told about each failure before the wait.
    public func withRetry<T>(_ policy: RetryPolicy = RetryPolicy(),
                             retrying: (PQError) -> Bool = { $0.isTransient },
                             onRetry: (PQError, TimeInterval) -> Void = { _, _ in },
                             _ body: (PQConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                if !isConnected { try reconnect() }
                return try body(self)
            } catch let e as PQError where retrying(e) {
                attempt += 1
                guard policy.allows(after: attempt) else { throw e }
                let wait = policy.delay(forAttempt: attempt - 1)
                onRetry(e, wait)
                Thread.sleep(forTimeInterval: wait)
                if !isConnected { close() }
            }
        }
    }

    // MARK: pipelines

    /// Runs `statements` back to back in one round trip (libpq pipeline mode) and returns one result per
    /// statement, in order. The server executes them in order, exactly as if they were sent one by one, and
    /// after a failure skips the rest; the first error is thrown. Statements are not atomic by themselves:
    /// start the list with `BEGIN` (and roll back on error) or run it inside `transaction`. The connection
    /// blocks while sending, so keep the parameters well below the socket buffers (a few hundred kB): results
    /// are read only after everything was sent.
    @discardableResult
    public func pipeline(_ statements: [PipelinedStatement]) throws -> [PQResult] {
        let h = try liveHandle()
        guard PQenterPipelineMode(h) == 1 else { throw lostOrFailed(h) }
        // What each command sent produces: a statement's rows, or the outcome of preparing `name`.
        enum Sent { case statement, preparation(String) }
        var sent: [Sent] = []
        var preparing: Set<String> = []
        do {
            for statement in statements {
                if let name = statement.preparedName {
                    guard let sql = prepared[name] else { throw PQError.misuse("no prepared statement named \(name)") }
                    if !preparedOnHandle.contains(name), !preparing.contains(name) {
                        guard PQsendPrepare(h, name, sql, 0, nil) == 1 else { throw lostOrFailed(h) }
                        preparing.insert(name)
                        sent.append(.preparation(name))
                    }
                    try withParameters(statement.params) { v, lengths, formats in
                        guard PQsendQueryPrepared(h, name, Int32(v.count), v, lengths, formats, 1) == 1 else { throw lostOrFailed(h) }
                    }
                } else {
                    try withParameters(statement.params) { v, lengths, formats in
                        guard PQsendQueryParams(h, statement.sql, Int32(v.count), nil, v, lengths, formats, 1) == 1 else { throw lostOrFailed(h) }
                    }
                }
                sent.append(.statement)
            }
            guard PQpipelineSync(h) == 1 else { throw lostOrFailed(h) }
        } catch {
            // Nothing reliable can be read back from a half-sent pipeline: start over on a fresh connection.
            close()
            throw error
        }
        var results: [PQResult] = []
        var failure: (any Error)?
        for command in sent {
            var result: PQResult?
            while let r = PQgetResult(h) {
                if PQresultStatus(r) == PGRES_PIPELINE_ABORTED { PQclear(r); continue }
                do { result = try check(r, handle: h) } catch { if failure == nil { failure = error } }
            }
            switch command {
            case .statement: if let result { results.append(result) }
            case .preparation(let name): if result != nil { preparedOnHandle.insert(name) }
            }
        }
        while let r = PQgetResult(h) { PQclear(r) } // the sync point (PGRES_PIPELINE_SYNC)
        PQexitPipelineMode(h)
        if let failure { throw failure }
        guard PQstatus(h) == CONNECTION_OK, results.count == statements.count else {
            throw PQError.connectionLost(Self.trimmed(PQerrorMessage(h)))
        }
        return results
    }

    // MARK: COPY

    /// Streams rows into `COPY … FROM STDIN` (text format). `produce` writes lines through the closure it is given;
    /// returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, _ produce: ((String) throws -> Void) throws -> Void) throws -> Int {
        let h = try liveHandle()
        guard let start = PQexec(h, sql) else { throw PQError.connectionLost(Self.trimmed(PQerrorMessage(h))) }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN { _ = try check(start, handle: h); throw PQError.misuse("\(sql) is not COPY FROM STDIN") }
        PQclear(start)
        var failure: (any Error)?
        do {
            try produce { line in
                var bytes = Array(line.utf8)
                if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
                let ok = bytes.withUnsafeBufferPointer { p in
                    p.withMemoryRebound(to: CChar.self) { PQputCopyData(h, $0.baseAddress, Int32($0.count)) }
                }
                if ok != 1 { throw PQError.connectionLost(Self.trimmed(PQerrorMessage(h))) }
            }
        } catch { failure = error }
        PQputCopyEnd(h, failure == nil ? nil : "aborted by client")
        var copied = 0
        while let r = PQgetResult(h) {
            do { copied = try check(r, handle: h).affectedRows } catch { if failure == nil { failure = error } }
        }
        if let failure { throw failure }
        return copied
    }

    // MARK: helpers

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PQError.connectionLost("connection is closed") }
        if PQstatus(handle) != CONNECTION_OK { throw PQError.connectionLost(Self.trimmed(PQerrorMessage(handle))) }
        return handle
    }

    /// Turns a PGresult into a `PQResult` or a typed error (clearing it on error).
    @discardableResult
    private func check(_ result: OpaquePointer?, handle h: OpaquePointer) throws -> PQResult {
        guard let result else { throw lostOrFailed(h) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return PQResult(result)
        default:
            defer { PQclear(result) }
            if PQstatus(h) != CONNECTION_OK { throw PQError.connectionLost(Self.trimmed(PQerrorMessage(h))) }
            guard let state = field(result, "C") else { throw lostOrFailed(h) }
            throw PQError.server(ServerError(
                sqlState: SQLState(rawValue: state), severity: field(result, "V") ?? field(result, "S") ?? "ERROR",
                message: field(result, "M") ?? "", detail: field(result, "D"), hint: field(result, "H")))
        }
    }

    private func lostOrFailed(_ h: OpaquePointer) -> PQError {
        PQstatus(h) != CONNECTION_OK ? .connectionLost(Self.trimmed(PQerrorMessage(h)))
            : .misuse(Self.trimmed(PQerrorMessage(h)))
    }

    private func field(_ result: OpaquePointer, _ code: Character) -> String? {
        PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
    }

    private static func trimmed(_ p: UnsafePointer<CChar>?) -> String {
        p.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    /// Parameters as libpq wants them: values (C strings, or bytes for `PQBinaryBindable`), lengths and
    /// formats (0 text, 1 binary), valid during `body`.
    private func withParameters<T>(_ params: [(any PQBindable)?],
                                   _ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) throws -> T) rethrows -> T {
        var owned: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = [], formats: [Int32] = []
        owned.reserveCapacity(params.count)
        defer { owned.forEach { free($0) } }
        for param in params {
            if let binary = param as? any PQBinaryBindable {
                let bytes = binary.postgresBinary
                let buffer = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
                bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                owned.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            } else {
                owned.append(param.map { strdup($0.postgresText)! })
                lengths.append(0)
                formats.append(0)
            }
        }
        return try body(owned.map { $0.map { UnsafePointer($0) } }, lengths, formats)
    }
}

/// One statement of `PQConnection.pipeline`: a statement registered with `prepare`, or SQL text.
public struct PipelinedStatement {
    let preparedName: String?
    let sql: String
    let params: [(any PQBindable)?]

    /// A statement registered with `PQConnection.prepare`.
    public static func prepared(_ name: String, _ params: [(any PQBindable)?] = []) -> PipelinedStatement {
        PipelinedStatement(preparedName: name, sql: "", params: params)
    }

    /// A parameterised SQL statement (`BEGIN`, `COMMIT`, …).
    public static func sql(_ sql: String, _ params: [(any PQBindable)?] = []) -> PipelinedStatement {
        PipelinedStatement(preparedName: nil, sql: sql, params: params)
    }
}
