import Foundation
import LibPQ
import Synchronization

/// A small blocking pool of PostgreSQL connections, safe to share between threads.
///
/// At most `maxSize` connections exist; a caller takes an idle one, opens a new one while under the limit,
/// or waits (up to `acquireTimeout`) for one to come back. Connections open lazily. A connection that
/// broke is closed instead of returned, and the idle ones are dropped with it (after a server restart
/// they are all dead), so the next caller reconnects.
///
/// A connection is not `Sendable`: it leaves the pool `sending` (no other reference to it remains) and comes
/// back `sending`, so the compiler rejects a caller that keeps a reference after giving it back.
final class ConnectionPool: Sendable {
    private let url: String
    private let timeouts: ConnectionTimeouts
    private let settings: [(String, String)]
    let maxSize: Int
    private let acquireTimeout: TimeInterval
    /// One permit per connection that may be in use; an idle connection holds none.
    private let permits: DispatchSemaphore
    private let idle = Mutex<[PQConnection]>([])

    /// A pool of connections to `url` with `timeouts` and the session `settings` (name, value).
    init(url: String, timeouts: ConnectionTimeouts = .none, settings: [(String, String)] = [], maxSize: Int, acquireTimeout: TimeInterval) {
        self.url = url
        self.timeouts = timeouts
        self.settings = settings
        self.maxSize = max(1, maxSize)
        self.acquireTimeout = acquireTimeout
        permits = DispatchSemaphore(value: self.maxSize)
    }

    /// Runs `body` with a connection of its own (being `@Sendable`, `body` cannot keep it).
    func withConnection<T: Sendable>(_ body: @Sendable (PQConnection) throws -> T) throws -> T {
        let connection = try acquire()
        let result = Result { try body(connection) }
        release(connection)
        return try result.get()
    }

    /// Closes the idle connections (busy ones close when they come back broken or when the pool goes).
    func drain() {
        idle.withLock { $0 = [] }
    }

    private func acquire() throws -> sending PQConnection {
        guard permits.wait(timeout: .now() + acquireTimeout) == .success else {
            throw RankingError.poolExhausted(maxConnections: maxSize, waitedSeconds: acquireTimeout)
        }
        if let connection = idle.withLock({ $0.popLast() }) { return connection }
        do {
            return try PQConnection(url: url, timeouts: timeouts, settings: settings)
        } catch {
            permits.signal()
            throw error
        }
    }

    private func release(_ connection: sending PQConnection) {
        defer { permits.signal() }
        guard connection.isConnected else {
            drain()
            return
        }
        let returned = Handover(connection: connection)
        idle.withLock { $0.append(returned.connection) }
    }
}

/// The one unchecked step: region analysis cannot yet move a `sending` value into a `Mutex` (a value the
/// closure captures counts as the caller's), though `release` holds the only reference. Remove when it can.
private struct Handover: @unchecked Sendable {
    let connection: PQConnection
}
