import Foundation
import LibPQ
import TowerQueue
import TowerTestSupport
import XCTest
@testable import TowerWorker

/// `towerd` through database outages and hangs, as the operator sees them: one log line per state change,
/// `/metrics`, `/health`, `STATUS=`, `towerd --check`, the watchdog; and nothing lost or dead-lettered.
extension DaemonTests {
    private var script: String { TestEnvironment.packageRoot.appendingPathComponent("deploy/local.sh").path }

    /// `HOST:PORT` of a daemon's metrics endpoint (started with TOWER_METRICS_ADDR=127.0.0.1:0).
    private func metricsAddress(_ d: DaemonProcess) throws -> String {
        let url = try XCTUnwrap(d.log.first { $0["msg"] as? String == "started" }?["metrics"] as? String)
        return String(url.dropFirst("http://".count).dropLast("/metrics".count))
    }

    private func lines(_ d: DaemonProcess, _ message: String) -> [[String: Any]] { d.log.filter { $0["msg"] as? String == message } }

    /// Waits for the one `database down` line and checks that it, `/metrics` and `/health` name `reason`.
    private func assertDown(_ d: DaemonProcess, reason: String, metrics address: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(d.waitForLog("database down", timeout: 30), d.transcript, file: file, line: line)
        XCTAssertEqual(lines(d, "database down").first?["reason"] as? String, reason, d.transcript, file: file, line: line)
        XCTAssertTrue(try Self.get("http://\(address)/metrics").contains("tower_database_problem{reason=\"\(reason)\"} 1\n"), file: file, line: line)
        let health = MetricsHTTPServer.health(at: address)
        XCTAssertTrue(health?.healthy == false && health?.text.contains("(\(reason))") == true, "\(String(describing: health))", file: file, line: line)
    }

    /// Once the cause is gone: every event applied exactly once, one `database down` and one `database back` line,
    /// nothing dead-lettered; stops the daemon.
    private func assertRecovered(_ d: DaemonProcess, _ ids: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        try waitUntilDrained(ids, timeout: 60)
        XCTAssertTrue(d.waitForLog("database back", timeout: 10), d.transcript, file: file, line: line)
        XCTAssertEqual(lines(d, "database down").count, 1, d.transcript, file: file, line: line)
        XCTAssertEqual(lines(d, "database back").count, 1, d.transcript, file: file, line: line)
        stop(d, file: file, line: line)
        try fixture.assertAppliedExactlyOnce(ids, file: file, line: line)
        XCTAssertEqual(try fixture.queueDepth(fixture.dlqURL), 0, "nothing dead-lettered", file: file, line: line)
    }

    /// `towerd --check` beside a running daemon; returns its exit status and output.
    private func check(asking address: String) throws -> (Int32?, String) {
        let c = try start(["TOWER_METRICS_ADDR": address], arguments: ["--check"])
        return (c.waitForExit(timeout: 60), c.transcript)
    }

    func testAnOutageIsReportedOnceOnMetricsHealthStatusAndCheckAndLosesNothing() throws {
        fixture = try WorkerFixture(name, overrides: ["TOWER_VISIBILITY_TIMEOUT": "10"])
        let systemd = try FakeSystemd(abstract: false)
        systemd.startCollecting()
        defer { systemd.stopCollecting() }
        let d = try startAndWait(["TOWER_METRICS_ADDR": "127.0.0.1:0", "NOTIFY_SOCKET": systemd.name, "TOWER_DB_DOWN_LOG_INTERVAL": "4s"])
        let address = try metricsAddress(d)
        let all = bodies(30, customers: 6)
        var ids = try fixture.send(Array(all[..<10]))
        try fixture.waitForCount("SELECT count(*) FROM events", atLeast: 10, timeout: 60)

        XCTAssertEqual(try Self.run(script, "stop-postgres"), 0)
        var down = true
        defer { if down { _ = try? Self.run(script, "start-postgres") } } // never leave the shared server down
        ids += try fixture.send(Array(all[10...]))
        XCTAssertTrue(d.waitForLog("database down", timeout: 30), d.transcript)
        Thread.sleep(forTimeInterval: 15) // past the batches' 10 s visibility timeout and several report intervals

        let metrics = try Self.get("http://\(address)/metrics")
        for line in ["tower_database_up 0\n", "tower_database_problem{reason=\"unreachable\"} 1\n", "tower_database_problem{reason=\"read_only\"} 0\n"] {
            XCTAssertTrue(metrics.contains(line), "\(line) missing:\n\(metrics)")
        }
        let age = metrics.split(separator: "\n").first { $0.hasPrefix("tower_seconds_since_last_commit ") }
        // Set once a second by the main loop: up to a second behind.
        XCTAssertGreaterThanOrEqual(Double(age?.split(separator: " ").last ?? "") ?? 0, 13, "\(age ?? "no commit age")")
        XCTAssertFalse(metrics.contains("tower_messages_in_hand 0\n"), "the held batches are in hand:\n\(metrics)")
        let health = try XCTUnwrap(MetricsHTTPServer.health(at: address))
        XCTAssertFalse(health.healthy)
        XCTAssertTrue(health.text.contains("database down since") && health.text.contains("(unreachable)"), health.text)
        let (status, output) = try check(asking: address)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("FAIL database: cannot connect"), output)
        XCTAssertTrue(output.contains("FAIL daemon: unhealthy: database down since"), output)
        XCTAssertTrue(systemd.messages().contains { $0.hasPrefix("STATUS=database down since") }, "\(systemd.messages())")

        XCTAssertEqual(try Self.run(script, "start-postgres"), 0)
        down = false
        try waitUntilDrained(ids, timeout: 120)
        XCTAssertTrue(d.waitForLog("database back", timeout: 10), d.transcript)
        XCTAssertEqual(lines(d, "database down").count, 1, d.transcript)
        XCTAssertEqual(lines(d, "database back").count, 1, d.transcript)
        XCTAssertGreaterThanOrEqual(lines(d, "database still down").count, 2, "repeated every 4 s:\n\(d.transcript)")
        XCTAssertGreaterThanOrEqual(lines(d, "database back").first?["down_s"] as? Int ?? 0, 15)
        let problems = d.log.filter { ["warning", "error", "critical"].contains($0["level"] as? String ?? "") }
        XCTAssertLessThanOrEqual(problems.count, 12, "state changes, not one line per retry:\n\(d.transcript)")
        let after = try Self.get("http://\(address)/metrics")
        XCTAssertTrue(after.contains("tower_database_up 1\n") && after.contains("tower_messages_in_hand 0\n"), after)
        XCTAssertFalse(after.contains("tower_visibility_extensions_total 0\n"), "held batches were kept hidden:\n\(after)")
        XCTAssertEqual(MetricsHTTPServer.health(at: address)?.healthy, true)
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(systemd.messages().last { $0.hasPrefix("STATUS=") }, "STATUS=consuming \(fixture.queueURL) with 2 workers")
        stop(d)
        try fixture.assertAppliedExactlyOnce(ids)
        XCTAssertEqual(try fixture.queueDepth(fixture.dlqURL), 0, "nothing dead-lettered")
        try fixture.assertVectorsMatchRecompute(customers: Array(1...6))
    }

    func testAReadOnlyDatabaseHoldsTheBatchesAndSaysWhyUntilItTakesWritesAgain() throws {
        fixture = try WorkerFixture(name)
        try fixture.connection.execute("ALTER DATABASE \(fixture.db.name) SET default_transaction_read_only = on")
        let d = try startAndWait(["TOWER_METRICS_ADDR": "127.0.0.1:0"])
        let address = try metricsAddress(d)
        let ids = try fixture.send(bodies(10, customers: 3))
        try assertDown(d, reason: "read_only", metrics: address)
        let (status, output) = try check(asking: address)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("FAIL database: PostgreSQL is read-only (SQLSTATE 25006)"), output)
        XCTAssertTrue(output.contains("FAIL daemon: unhealthy: database down since") && output.contains("(read_only)"), output + "\n" + d.transcript)
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events"), 0)

        try fixture.connection.execute("ALTER DATABASE \(fixture.db.name) RESET default_transaction_read_only")
        // Sessions keep the setting they started with: end towerd's, so it reconnects to a writable database.
        try fixture.connection.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        try assertRecovered(d, ids)
    }

    /// A real full disk: the event log's table on a tablespace on a 4 MB tmpfs, filled up. Needs root (to mount);
    /// skipped otherwise.
    func testAFullDiskHoldsTheBatchesAndSaysWhyUntilThereIsSpace() throws {
        fixture = try WorkerFixture(name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tower-tiny-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        guard getuid() == 0, try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", directory.path) == 0 else {
            throw XCTSkip("producing a full disk needs root to mount a tiny tmpfs; 53100 is classified in DatabaseProblemTests")
        }
        defer { _ = try? Self.run("/bin/umount", "-l", directory.path) }
        let pgdata = TestEnvironment.packageRoot.appendingPathComponent(".local/pgdata").path
        XCTAssertEqual(try Self.run("/bin/chown", "--reference=\(pgdata)", directory.path), 0)
        let admin = try PQConnection(url: try TestEnvironment.require("TOWER_ADMIN_DATABASE_URL"))
        let tablespace = "tiny_\(fixture.db.name)"
        try admin.execute("CREATE TABLESPACE \(tablespace) LOCATION '\(directory.path)'")
        defer { _ = try? admin.execute("DROP TABLESPACE IF EXISTS \(tablespace)") }
        try admin.execute("GRANT CREATE ON TABLESPACE \(tablespace) TO tower")
        try fixture.connection.execute("ALTER TABLE events SET TABLESPACE \(tablespace)")
        try fixture.connection.execute("CREATE TABLE filler (b text) TABLESPACE \(tablespace)")
        var full = false
        while !full {
            do {
                try fixture.connection.execute("INSERT INTO filler SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 60)")
            } catch let error as PQError where error.sqlState == .diskFull {
                full = true
            }
        }

        let d = try startAndWait(["TOWER_METRICS_ADDR": "127.0.0.1:0"])
        let address = try metricsAddress(d)
        let ids = try fixture.send(bodies(10, customers: 3))
        try assertDown(d, reason: "disk_full", metrics: address)
        try fixture.connection.execute("DROP TABLE filler")
        try assertRecovered(d, ids)
        try fixture.connection.execute("ALTER TABLE events SET TABLESPACE pg_default")
    }

    func testLockAndStatementTimeoutsAreReportedAndTheBatchAppliesOnceTheLockIsFree() throws {
        fixture = try WorkerFixture(name)
        let holder = try fixture.db.connect()
        var ids: [String] = []
        for (settings, reason) in [(["TOWER_DB_LOCK_TIMEOUT": "1s"], "lock_timeout"),
                                   (["TOWER_DB_LOCK_TIMEOUT": "off", "TOWER_DB_STATEMENT_TIMEOUT": "1s"], "statement_timeout")] {
            try holder.query("SELECT pg_advisory_lock(7)") // customer 7's lock, as a batch takes it
            let d = try startAndWait(settings.merging(["TOWER_METRICS_ADDR": "127.0.0.1:0"]) { $1 })
            ids += try fixture.send([WorkerFixture.body(customer: 7, product: 1)])
            try assertDown(d, reason: reason, metrics: try metricsAddress(d))
            Thread.sleep(forTimeInterval: 4) // more failed attempts: no more lines
            XCTAssertEqual(lines(d, "database down").count, 1, d.transcript)
            XCTAssertEqual(try fixture.count("SELECT count(*) FROM events"), ids.count - 1)
            try holder.query("SELECT pg_advisory_unlock(7)")
            try fixture.waitForCount("SELECT count(*) FROM events", atLeast: ids.count, timeout: 30)
            XCTAssertTrue(d.waitForLog("database back", timeout: 10), d.transcript)
            stop(d)
        }
        try fixture.assertAppliedExactlyOnce(ids)
        XCTAssertEqual(try fixture.queueDepth(fixture.dlqURL), 0, "nothing dead-lettered")
    }

    func testABatchThatHangsStaysHiddenAndStopsTheWatchdogWhileAnIdleQueueDoesNot() throws {
        fixture = try WorkerFixture(name, overrides: ["TOWER_VISIBILITY_TIMEOUT": "10"])
        let systemd = try FakeSystemd(abstract: false)
        systemd.startCollecting()
        defer { systemd.stopCollecting() }
        // No timeouts: a lock wait then hangs without an error, the case only the watchdog catches.
        let d = try startAndWait(["NOTIFY_SOCKET": systemd.name, "WATCHDOG_USEC": "2000000", "TOWER_WATCHDOG_STALL": "5s",
                                  "TOWER_DB_LOCK_TIMEOUT": "off", "TOWER_DB_STATEMENT_TIMEOUT": "off", "TOWER_METRICS_ADDR": "127.0.0.1:0"])
        let address = try metricsAddress(d)
        func pings(since date: Date) -> Int { systemd.messages(since: date).filter { $0 == "WATCHDOG=1" }.count }

        Thread.sleep(forTimeInterval: 8) // an idle queue, longer than the stall time
        XCTAssertGreaterThanOrEqual(pings(since: Date().addingTimeInterval(-4)), 3, "an idle queue keeps the pings going")

        let holder = try fixture.db.connect()
        try holder.query("SELECT pg_advisory_lock(7)")
        let ids = try fixture.send([WorkerFixture.body(customer: 7, product: 1)])
        let deadline = Date().addingTimeInterval(20)
        while try !Self.get("http://\(address)/metrics").contains("tower_messages_in_hand 1\n"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let held = Date()
        // Now that towerd holds it, another consumer polls for 25 s: the batch stays hidden past its 10 s visibility timeout.
        var seen = 0
        while Date().timeIntervalSince(held) < 25 {
            seen += try fixture.client.receiveMessages(queueURL: fixture.queueURL, waitTimeSeconds: 1, visibilityTimeout: 1).count
        }
        XCTAssertEqual(seen, 0, "the held batch was received by another consumer:\n\(d.transcript)")
        XCTAssertFalse(try Self.get("http://\(address)/metrics").contains("tower_visibility_extensions_total 0\n"))
        XCTAssertEqual(pings(since: held.addingTimeInterval(7)), 0, "no pings while the batch hangs:\n\(systemd.messages())")
        XCTAssertTrue(systemd.messages().contains { $0.hasPrefix("STATUS=stalled") }, "\(systemd.messages())")
        XCTAssertTrue(d.log.contains { ($0["msg"] as? String)?.hasPrefix("no progress") == true }, d.transcript)
        XCTAssertEqual(MetricsHTTPServer.health(at: address)?.healthy, false)

        try holder.query("SELECT pg_advisory_unlock(7)")
        try fixture.waitForCount("SELECT count(*) FROM events", atLeast: 1, timeout: 30)
        XCTAssertTrue(d.waitForLog("progress again: the held batch moved; the watchdog pings resume", timeout: 10), d.transcript)
        let resumed = Date()
        Thread.sleep(forTimeInterval: 3)
        XCTAssertGreaterThanOrEqual(pings(since: resumed), 2, "the pings resume")
        stop(d)
        try fixture.assertAppliedExactlyOnce(ids)
    }
}
