import Foundation
import LibPQ
import TowerTestSupport
import XCTest

/// Stops and restarts the shared local PostgreSQL server (about 2 s): the one test that does.
final class ReconnectTests: XCTestCase {
    func testWithRetryReconnectsAfterTheServerRestarts() throws {
        let db = try ScratchDatabase("reconnect")
        defer { db.drop() }
        let c = try db.connect()
        try c.execute("CREATE TABLE r (n int)")
        c.prepare("add", "INSERT INTO r VALUES ($1)")
        try c.query(prepared: "add", [1])

        XCTAssertEqual(try LocalServers.run("stop-postgres"), 0)
        var restart: Process?
        defer { restart?.waitUntilExit() } // never leave the shared server down
        XCTAssertThrowsError(try c.query("SELECT 1")) { XCTAssertTrue(($0 as? PQError)?.isTransient ?? false, "\($0)") }

        // Start the server again in the background while withRetry is already backing off.
        restart = try LocalServers.launch("start-postgres")
        var failures: [PQError] = []
        let count = try c.withRetry(RetryPolicy(maxAttempts: 60, baseDelay: 0.05, maxDelay: 1),
                                    onRetry: { e, _ in failures.append(e) }) { c in
            try c.transaction {
                try c.query(prepared: "add", [2])
                return try c.query("SELECT count(*) FROM r")[0].decode(0, as: Int.self)
            }
        }
        restart?.waitUntilExit()
        XCTAssertEqual(restart?.terminationStatus, 0)
        XCTAssertEqual(count, 2)
        XCTAssertFalse(failures.isEmpty, "the first attempts must have failed while the server was down")
        XCTAssertTrue(failures.allSatisfy(\.isTransient))
        XCTAssertTrue(c.isConnected)
    }
}
