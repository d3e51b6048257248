import Foundation

/// Bounds on a connection's waits, so no call hangs for ever. `nil` leaves the server's (or libpq's) default,
/// which for all three is to wait without limit.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// libpq's `connect_timeout`: TCP connect, TLS and authentication together (libpq rounds up to whole
    /// seconds, at least 2). With any timeout set, TCP keepalives are on too (idle 10 s, every 5 s, 3 probes),
    /// so a peer that vanished without closing the connection is noticed within about 25 s.
    public var connect: TimeInterval?
    /// The session's `statement_timeout`: the server cancels a statement running longer (SQLSTATE 57014).
    public var statement: TimeInterval?
    /// The session's `lock_timeout`: the server gives up waiting for a lock (SQLSTATE 55P03), advisory locks included.
    public var lock: TimeInterval?

    public init(connect: TimeInterval? = nil, statement: TimeInterval? = nil, lock: TimeInterval? = nil) {
        self.connect = connect
        self.statement = statement
        self.lock = lock
    }

    /// No limits (the servers' defaults).
    public static let none = ConnectionTimeouts()

    /// libpq connection keywords beyond the URL.
    var connectionParameters: [(String, String)] {
        guard let connect else { return [] }
        return [("connect_timeout", String(Int(connect.rounded(.up)))), ("keepalives", "1"), ("keepalives_idle", "10"),
                ("keepalives_interval", "5"), ("keepalives_count", "3")]
    }

    /// Session settings (name, value in milliseconds; 0 turns a limit off) set right after connecting.
    var sessionSettings: [(String, String)] {
        [("statement_timeout", statement), ("lock_timeout", lock)].compactMap { name, seconds in
            seconds.map { (name, String(Int(($0 * 1000).rounded(.up)))) }
        }
    }
}
