import Foundation
import LibPQ

/// A small blocking pool of PostgreSQL connections, safe to share between threads.
///
/// At most `maxSize` connections exist; a caller takes an idle one, opens a new one while under the limit,
/// or waits (up to `acquireTimeout`) for one to come back. Connections open lazily. A connection that
/// broke is closed instead of returned, and the idle ones are dropped with it (after a server restart
/// they are all dead), so the next caller reconnects.
final class ConnectionPool: @unchecked Sendable {
    private let url: String
    let maxSize: Int
    private let acquireTimeout: TimeInterval
    private let condition = NSCondition()
    private var idle: [PQConnection] = []
    private var open = 0

    init(url: String, maxSize: Int, acquireTimeout: TimeInterval) {
        self.url = url
        self.maxSize = max(1, maxSize)
        self.acquireTimeout = acquireTimeout
    }

    /// Runs `body` with a connection of its own.
    func withConnection<T>(_ body: (PQConnection) throws -> T) throws -> T {
        let connection = try acquire()
        do {
            let value = try body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Closes the idle connections (busy ones close when they come back broken or when the pool goes).
    func drain() {
        condition.lock()
        let dropped = idle
        idle = []
        open -= dropped.count
        condition.broadcast()
        condition.unlock()
        dropped.forEach { $0.close() }
    }

    private func acquire() throws -> PQConnection {
        let deadline = Date(timeIntervalSinceNow: acquireTimeout)
        condition.lock()
        while idle.isEmpty && open >= maxSize {
            guard condition.wait(until: deadline) else {
                condition.unlock()
                throw RankingError.poolExhausted(maxConnections: maxSize, waitedSeconds: acquireTimeout)
            }
        }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        open += 1
        condition.unlock()
        do {
            return try PQConnection(url: url)
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func release(_ connection: PQConnection) {
        if connection.isConnected {
            condition.lock()
            idle.append(connection)
            condition.signal()
            condition.unlock()
        } else {
            connection.close()
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            drain()
        }
    }
}
