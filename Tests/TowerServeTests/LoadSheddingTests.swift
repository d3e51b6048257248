import Foundation
import LibPQ
import TowerTestSupport
import XCTest
@testable import TowerServe

/// The bounded pool (503 when full) and the SIGTERM drain of the real `tower serve` process.
final class LoadSheddingTests: XCTestCase {
    func testFullQueueAnswers503WithRetryAfter() async throws {
        let f = try ServeFixture("serveoverload")
        try await f.start(f.configuration(workers: 1, queue: 0))
        let locker = try f.db.connect()
        try locker.execute("BEGIN")
        try locker.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        // The only worker waits on the lock; the next request finds no room.
        let held = Task { try await f.get("/v1/customers/1/feed") }
        try await Task.sleep(for: .milliseconds(500))
        let shed = try await f.get("/v1/products/1")
        XCTAssertEqual(shed.status, 503)
        XCTAssertEqual(shed.header("Retry-After"), "1")
        XCTAssertEqual(shed.object["code"] as? String, "overloaded")
        try locker.execute("COMMIT")
        do { let reply = try await held.value; XCTAssertEqual(reply.status, 200) }
        do { let reply = try await f.get("/v1/products/1"); XCTAssertEqual(reply.status, 200) }
    }

    func testSIGTERMDrainsRequestsInFlightAndExitsZero() async throws {
        let f = try ServeFixture("servedrain")
        let process = Process()
        process.executableURL = TestEnvironment.packageRoot.appendingPathComponent(".build/debug/tower")
        process.arguments = ["serve"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "TOWER_API_ADDR": "127.0.0.1:\(f.port)", "TOWER_READONLY_DATABASE_URL": f.db.readOnlyURL, "TOWER_API_AUTH": "off",
        ]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await f.get("/health").status) == 200
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(up, "tower serve answered /health")

        let locker = try f.db.connect()
        try locker.execute("BEGIN")
        try locker.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        let inFlight = Task { try await f.get("/v1/customers/1/feed") }
        try await Task.sleep(for: .milliseconds(400))
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(400))
        XCTAssertTrue(process.isRunning, "still draining")
        try locker.execute("COMMIT")
        do { let reply = try await inFlight.value; XCTAssertEqual(reply.status, 200, "the request in flight finished") }
        for _ in 0..<50 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertFalse(process.isRunning)
        XCTAssertEqual(process.terminationStatus, 0)
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("\"msg\":\"draining\""), log)
        XCTAssertTrue(log.contains("\"msg\":\"stopped\""), log)
    }
}

final class BlockingPoolTests: XCTestCase {
    func testRunsOnPoolThreadsAndRefusesBeyondTheQueue() async throws {
        let pool = BlockingPool(threads: 1, queueCapacity: 1)
        let gate = DispatchSemaphore(value: 0)
        let first = Task { try await pool.run { gate.wait(); return 1 } }
        try await Task.sleep(for: .milliseconds(100))
        let second = Task { try await pool.run { 2 } }
        try await Task.sleep(for: .milliseconds(100))
        do {
            _ = try await pool.run { 3 }
            XCTFail("a third job does not fit")
        } catch is BlockingPool.Overloaded {}
        gate.signal()
        do { let value = try await first.value; XCTAssertEqual(value, 1) }
        do { let value = try await second.value; XCTAssertEqual(value, 2) }
        do { let value = try await pool.run { 4 }; XCTAssertEqual(value, 4) }
        pool.shutdown()
    }
}
