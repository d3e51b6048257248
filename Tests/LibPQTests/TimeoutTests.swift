import Foundation
import LibPQ
import TowerTestSupport
import XCTest

/// `ConnectionTimeouts` against the local PostgreSQL: no connect, statement or lock wait hangs for ever.
final class TimeoutTests: XCTestCase {
    /// Runs `body` on a thread and waits at most `limit` seconds for it (so a hang fails the test instead of stalling it).
    private func within<T>(_ limit: Double, _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
        nonisolated(unsafe) var outcome: Result<T, any Error>?
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { outcome = Result { try body() }; done.signal() }
        return done.wait(timeout: .now() + limit) == .success ? outcome : nil
    }

    func testConnectTimeoutBoundsAServerThatAcceptsAndNeverAnswers() throws {
        // A listening socket nobody accepts on: the kernel completes the TCP handshake, the startup reply never comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        XCTAssertEqual(withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0 }
        }, true)
        let url = "postgresql://tower@127.0.0.1:\(UInt16(bigEndian: address.sin_port))/tower?sslmode=disable"
        let started = Date()
        let outcome = try XCTUnwrap(within(15) { try PQConnection(url: url, timeouts: ConnectionTimeouts(connect: 2)) },
                                    "connecting hung past 15 s despite connect_timeout 2 s")
        XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue(($0 as? PQError)?.isTransient ?? false, "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 8)
    }

    func testStatementTimeoutCancelsALongStatementAndSurvivesAReconnect() throws {
        let db = try ScratchDatabase("stmttimeout")
        defer { db.drop() }
        let c = try PQConnection(url: db.url, timeouts: ConnectionTimeouts(connect: 5, statement: 0.5))
        let outcome = try XCTUnwrap(within(10) { try c.query("SELECT pg_sleep(5)") }, "the statement ran past its timeout")
        XCTAssertThrowsError(try outcome.get()) { XCTAssertEqual(($0 as? PQError)?.sqlState, .queryCanceled, "\($0)") }
        try c.reconnect()
        XCTAssertEqual(try c.query("SHOW statement_timeout")[0].decode(0, as: String.self), "500ms")
        XCTAssertEqual(try c.query("SHOW lock_timeout")[0].decode(0, as: String.self), "0", "an unset limit stays the server's")
    }

    func testLockTimeoutGivesUpOnALockAnotherSessionHolds() throws {
        let db = try ScratchDatabase("locktimeout")
        defer { db.drop() }
        let holder = try db.connect()
        try holder.query("SELECT pg_advisory_lock(42)")
        let c = try PQConnection(url: db.url, timeouts: ConnectionTimeouts(lock: 0.5))
        let outcome = try XCTUnwrap(within(10) { try c.query("SELECT pg_advisory_xact_lock(42)") }, "the lock wait ran past its timeout")
        XCTAssertThrowsError(try outcome.get()) { XCTAssertEqual(($0 as? PQError)?.sqlState, .lockNotAvailable, "\($0)") }
        try holder.query("SELECT pg_advisory_unlock(42)")
        try c.query("SELECT pg_advisory_xact_lock(42)")
    }
}
