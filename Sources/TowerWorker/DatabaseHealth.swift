import Foundation
import Logging
import LibPQ
import Synchronization

/// Why PostgreSQL does not take towerd's writes: the failures during which a worker holds its batch and retries
/// (nothing is dead-lettered, nothing lost) and the operator is told once, not per retry.
public enum DatabaseProblem: String, Sendable, CaseIterable {
    /// No connection, or it broke (server down, restarting, network).
    case unreachable
    /// SQLSTATE 25006: read-only (a replica after failover, `default_transaction_read_only`, a full-disk guard).
    case readOnly = "read_only"
    /// SQLSTATE 53100, and the rest of class 53 (out of memory, too many connections).
    case diskFull = "disk_full"
    case insufficientResources = "insufficient_resources"
    /// SQLSTATE 57014: a statement ran past TOWER_DB_STATEMENT_TIMEOUT (or an administrator canceled it).
    case statementTimeout = "statement_timeout"
    /// SQLSTATE 55P03: a lock held by another session outlasted TOWER_DB_LOCK_TIMEOUT.
    case lockTimeout = "lock_timeout"

    /// The problem an error shows, or nil for one a retry is not meant for (schema, rights, data) or that is
    /// ordinary contention (deadlock, serialization failure: retried quietly).
    public init?(_ error: PQError) {
        switch error {
        case .connectionFailed, .connectionLost: self = .unreachable
        case .server(let e):
            switch e.sqlState {
            case .readOnlySQLTransaction: self = .readOnly
            case .diskFull: self = .diskFull
            case .queryCanceled: self = .statementTimeout
            case .lockNotAvailable: self = .lockTimeout
            case .adminShutdown, .crashShutdown, .cannotConnectNow: self = .unreachable
            default:
                switch e.sqlState.errorClass {
                case "08": self = .unreachable
                case "53": self = .insufficientResources
                default: return nil
                }
            }
        case .decoding, .misuse: return nil
        }
    }

    /// What the operator reads: the cause and what to do.
    public var explanation: String {
        switch self {
        case .unreachable: return "PostgreSQL is unreachable: check the server and TOWER_DATABASE_URL"
        case .readOnly: return "PostgreSQL is read-only (SQLSTATE 25006): point TOWER_DATABASE_URL at the primary, or turn default_transaction_read_only off"
        case .diskFull: return "PostgreSQL's disk is full (SQLSTATE 53100): free space or grow the volume"
        case .insufficientResources: return "PostgreSQL lacks resources (SQLSTATE class 53: memory, connections): see the server's log"
        case .statementTimeout: return "statements run past TOWER_DB_STATEMENT_TIMEOUT (SQLSTATE 57014): look for locks and slow queries in pg_stat_activity"
        case .lockTimeout: return "a lock held by another session outlasts TOWER_DB_LOCK_TIMEOUT (SQLSTATE 55P03): find it in pg_locks / pg_stat_activity"
        }
    }

    /// True for the failures a retry may cure: the batch is held and retried.
    static func isRetried(_ error: PQError) -> Bool { error.isTransient || DatabaseProblem(error) != nil }
}

/// The daemon's one view of whether its database takes writes, fed by every worker's attempts: logs the state
/// changes (`database down`, `database still down` every TOWER_DB_DOWN_LOG_INTERVAL, `database back`), keeps
/// `tower_database_up` and `tower_seconds_since_last_commit` current, and words the status line.
/// Down while any worker's latest attempt failed; up again once every failing worker has committed.
public final class DatabaseHealth: Sendable {
    private struct State {
        /// The workers whose latest attempt failed, with the problem.
        var failing: [Int: DatabaseProblem] = [:]
        var downSince: Date?
        var lastReported: ContinuousClock.Instant = .now
        var reportedProblem: DatabaseProblem?
        var failedAttempts = 0
        var lastCommit: ContinuousClock.Instant = .now
    }

    private let state = Mutex(State())
    private let metrics: DaemonMetrics
    private let logger: Logger
    private let reportInterval: Double

    public init(metrics: DaemonMetrics, logger: Logger, reportInterval: Double) {
        self.metrics = metrics
        self.logger = logger
        self.reportInterval = reportInterval
        metrics.databaseState(up: true)
    }

    /// A worker's attempt failed with a problem (the batch is held and retried): logs when the state changes.
    public func failed(worker: Int, _ problem: DatabaseProblem, error: PQError) {
        let (wentDown, changed) = state.withLock { s -> (Bool, Bool) in
            s.failedAttempts += 1
            let wasDown = !s.failing.isEmpty
            s.failing[worker] = problem
            guard wasDown else {
                s.downSince = Date()
                s.lastReported = .now
                s.reportedProblem = problem
                return (true, false)
            }
            guard s.reportedProblem != problem else { return (false, false) }
            s.reportedProblem = problem
            s.lastReported = .now
            return (false, true)
        }
        guard wentDown || changed else { return }
        metrics.databaseState(up: false, problem: problem)
        logger.error(wentDown ? "database down" : "database still down, for another reason", metadata: [
            "reason": "\(problem.rawValue)", "detail": "\(problem.explanation)", "error": "\(error)",
            "what_happens": "each worker holds its batch and retries; nothing is lost or dead-lettered",
        ])
    }

    /// A worker committed a batch (`committed`), or only connected again.
    public func succeeded(worker: Int, committed: Bool = true) {
        let outage = state.withLock { s -> (since: Date, attempts: Int)? in
            if committed { s.lastCommit = .now }
            guard s.failing.removeValue(forKey: worker) != nil, s.failing.isEmpty, let since = s.downSince else { return nil }
            defer { s.downSince = nil; s.reportedProblem = nil; s.failedAttempts = 0 }
            return (since, s.failedAttempts)
        }
        guard let outage else { return }
        metrics.databaseState(up: true)
        logger.notice("database back", metadata: [
            "down_s": .stringConvertible(Int(Date().timeIntervalSince(outage.since).rounded())),
            "failed_attempts": .stringConvertible(outage.attempts),
        ])
    }

    /// The current problem, nil while the database takes writes.
    public var problem: DatabaseProblem? { state.withLock { s in s.failing.isEmpty ? nil : s.reportedProblem } }

    /// When the outage began, nil while up.
    public var downSince: Date? { state.withLock { $0.downSince } }

    /// Seconds since the last committed batch (since start before the first).
    public var secondsSinceLastCommit: Double { state.withLock { Self.seconds(since: $0.lastCommit) } }

    /// Called about once a second by the daemon's main loop: refreshes the commit-age gauge and repeats the
    /// `database still down` line every report interval.
    public func tick() {
        let due = state.withLock { s -> (DatabaseProblem, Date, Int)? in
            guard let problem = s.reportedProblem, let since = s.downSince, !s.failing.isEmpty,
                  Self.seconds(since: s.lastReported) >= reportInterval else { return nil }
            s.lastReported = .now
            return (problem, since, s.failedAttempts)
        }
        metrics.lastCommitAge(seconds: secondsSinceLastCommit)
        guard let (problem, since, attempts) = due else { return }
        logger.error("database still down", metadata: [
            "reason": "\(problem.rawValue)", "detail": "\(problem.explanation)",
            "down_s": .stringConvertible(Int(Date().timeIntervalSince(since).rounded())), "failed_attempts": .stringConvertible(attempts),
        ])
    }

    private static func seconds(since instant: ContinuousClock.Instant) -> Double { milliseconds(since: instant) / 1000 }
}
