import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TowerMath
import TowerModel
import TowerTestSupport
import XCTest

/// `towerd` as a process: signals, crashes, a database restart, two daemons on one queue (database outages and
/// hangs: DaemonOutageTests.swift).
final class DaemonTests: XCTestCase {
    var fixture: WorkerFixture!
    var daemons: [DaemonProcess] = []

    override func tearDown() {
        for d in daemons where d.process.isRunning { d.signal(SIGKILL) }
        fixture?.tearDown()
    }

    func start(_ extra: [String: String] = [:], arguments: [String] = []) throws -> DaemonProcess {
        let d = try DaemonProcess(environment: fixture.settings.merging(extra) { _, new in new }, arguments: arguments)
        daemons.append(d)
        return d
    }

    func startAndWait(_ extra: [String: String] = [:]) throws -> DaemonProcess {
        let d = try start(extra)
        XCTAssertTrue(d.waitForLog("started", timeout: 60), "towerd did not start:\n\(d.transcript)")
        return d
    }

    /// Deterministic events: `count` events over `customers` customers and the fixture's products.
    func bodies(_ count: Int, customers: Int) -> [String] {
        var rng = SplitMix64(seed: 42)
        let names = ["product_viewed", "product_clicked", "product_added_to_cart"]
        return (0..<count).map { _ in
            WorkerFixture.body(customer: Int64(1 + rng.next() % UInt64(customers)), product: Int64(1 + rng.next() % UInt64(fixture.products)),
                               event: names[Int(rng.next() % 3)])
        }
    }

    /// Waits until every message is in the event log and the queue is empty.
    func waitUntilDrained(_ ids: [String], timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        try fixture.waitForCount("SELECT count(*) FROM events", atLeast: ids.count, timeout: timeout)
        while try fixture.queueDepth() > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        XCTAssertEqual(try fixture.queueDepth(), 0, "the queue drains")
    }

    func stop(_ d: DaemonProcess, file: StaticString = #filePath, line: UInt = #line) {
        d.signal(SIGTERM)
        XCTAssertEqual(d.waitForExit(timeout: 30), 0, "towerd exits 0 after SIGTERM:\n\(d.transcript)", file: file, line: line)
    }

    func testSIGTERMCutsTheLongPollShortAndExitsZero() throws {
        fixture = try WorkerFixture(name)
        let d = try startAndWait(["TOWER_RECEIVE_WAIT": "20", "TOWER_METRICS_ADDR": "127.0.0.1:0"])
        let ids = try fixture.send(bodies(20, customers: 5))
        try waitUntilDrained(ids, timeout: 30)
        let endpoint = try XCTUnwrap(d.log.first { $0["msg"] as? String == "started" }?["metrics"] as? String)
        let metrics = try Self.get(endpoint)
        XCTAssertTrue(metrics.contains("tower_events_applied_total 20"), metrics)
        XCTAssertTrue(metrics.contains("tower_queue_lag_seconds_count 20"), metrics)
        Thread.sleep(forTimeInterval: 0.5) // the workers are back in a 20 s long poll
        let asked = Date()
        d.signal(SIGTERM)
        XCTAssertEqual(d.waitForExit(timeout: 30), 0, d.transcript)
        XCTAssertLessThan(Date().timeIntervalSince(asked), 5, "a long poll in flight does not delay shutdown")
        XCTAssertTrue(d.log.contains { $0["msg"] as? String == "stopped" })
        let batches = d.log.filter { $0["msg"] as? String == "batch" }
        XCTAssertEqual(batches.reduce(0) { $0 + (($1["applied"] as? Int) ?? 0) }, 20, "per-batch summary lines")
        XCTAssertTrue(batches.allSatisfy { $0["duration_ms"] is Double || $0["duration_ms"] is Int })
        XCTAssertTrue(metrics.contains("tower_batch_duration_seconds_count \(batches.count)\n"), "one latency observation per batch: \(metrics)")
        try fixture.assertAppliedExactlyOnce(ids)
    }

    func testSIGHUPReloadsTheModelAndLogsItsVersion() throws {
        fixture = try WorkerFixture(name)
        let d = try startAndWait()
        d.signal(SIGHUP)
        XCTAssertTrue(d.waitForLog("model reloaded", timeout: 10), d.transcript)
        let line = d.log.first { $0["msg"] as? String == "model reloaded" }
        XCTAssertEqual(line?["version"] as? String, "untrained-v1")
        XCTAssertTrue((line?["source"] as? String)?.contains("untrained default") == true)
        stop(d)
    }

    func testKill9MidBatchThenRestartLosesNothingAndDoublesNothing() throws {
        fixture = try WorkerFixture(name, overrides: ["TOWER_VISIBILITY_TIMEOUT": "10"])
        let ids = try fixture.send(bodies(1500, customers: 40))
        let first = try startAndWait()
        let reached = try fixture.waitForCount("SELECT count(*) FROM events", atLeast: 150, timeout: 60)
        first.signal(SIGKILL)
        XCTAssertEqual(first.waitForExit(timeout: 10), SIGKILL)
        XCTAssertLessThan(reached, ids.count, "the kill happened while work was left")
        let second = try startAndWait()
        try waitUntilDrained(ids, timeout: 180)
        stop(second)
        try fixture.assertAppliedExactlyOnce(ids)
        try fixture.assertVectorsMatchRecompute(customers: Array(1...40))
    }

    func testPostgreSQLStoppedAndRestartedUnderLoad() throws {
        fixture = try WorkerFixture(name)
        let script = TestEnvironment.packageRoot.appendingPathComponent("deploy/local.sh").path
        let d = try startAndWait()
        let all = bodies(1200, customers: 30)
        var ids = try fixture.send(Array(all[0..<400]))
        try fixture.waitForCount("SELECT count(*) FROM events", atLeast: 100, timeout: 60)
        XCTAssertEqual(try Self.run(script, "stop-postgres"), 0)
        ids += try fixture.send(Array(all[400..<800])) // arrives while the database is down
        Thread.sleep(forTimeInterval: 3)
        XCTAssertEqual(try Self.run(script, "start-postgres"), 0)
        ids += try fixture.send(Array(all[800...]))
        try waitUntilDrained(ids, timeout: 180)
        XCTAssertTrue(d.process.isRunning, "the daemon survives the outage")
        XCTAssertTrue(d.log.contains { $0["msg"] as? String == "database down" } && d.log.contains { $0["msg"] as? String == "database back" },
                      "the outage was noticed:\n\(d.transcript)")
        stop(d)
        try fixture.assertAppliedExactlyOnce(ids)
        try fixture.assertVectorsMatchRecompute(customers: Array(1...30))
    }

    func testTwoDaemonsOnOneQueueInterleavingOneCustomersEvents() throws {
        fixture = try WorkerFixture(name)
        // Half the events are customer 1's, so both daemons' batches keep touching that customer.
        var all = bodies(800, customers: 10)
        for i in stride(from: 0, to: all.count, by: 2) { all[i] = WorkerFixture.body(customer: 1, product: Int64(1 + i % fixture.products)) }
        let ids = try fixture.send(all)
        let a = try startAndWait(["TOWER_WORKERS": "2"]), b = try startAndWait(["TOWER_WORKERS": "2"])
        try waitUntilDrained(ids, timeout: 120)
        stop(a)
        stop(b)
        for d in [a, b] {
            XCTAssertGreaterThan(d.log.filter { $0["msg"] as? String == "batch" }.count, 0, "both daemons took batches")
        }
        try fixture.assertAppliedExactlyOnce(ids)
        try fixture.assertVectorsMatchRecompute(customers: Array(1...10))
    }

    func testCheckValidatesConfigurationDatabaseQueueAndModel() throws {
        fixture = try WorkerFixture(name)
        let good = try start(arguments: ["--check"])
        XCTAssertEqual(good.waitForExit(timeout: 60), 0, good.transcript)
        for part in ["ok   database", "ok   queue", "ok   model"] {
            XCTAssertTrue(good.transcript.contains(part), "\(part) missing:\n\(good.transcript)")
        }
        let missingQueue = try start(["TOWER_QUEUE_URL": fixture.queueURL + "-does-not-exist"], arguments: ["--check"])
        XCTAssertEqual(missingQueue.waitForExit(timeout: 60), 1, missingQueue.transcript)
        XCTAssertTrue(missingQueue.transcript.contains("FAIL queue"), missingQueue.transcript)
        let badConfig = try start(["TOWER_WORKERS": "zero"], arguments: ["--check"])
        XCTAssertEqual(badConfig.waitForExit(timeout: 60), 1)
        XCTAssertTrue(badConfig.transcript.contains("TOWER_WORKERS"), badConfig.transcript)
    }

    func testNeitherCheckNorStartUpPrintsThePasswordOfAMalformedURL() throws {
        fixture = try WorkerFixture(name)
        let url = try XCTUnwrap(fixture.settings["TOWER_DATABASE_URL"])
        // libpq quotes the malformed token, here the password: `invalid percent-encoded token: "…"`.
        let bad = "postgresql://tower:Zq9%zzSecret@" + url[url.range(of: "@")!.upperBound...]
        let check = try start(["TOWER_DATABASE_URL": bad], arguments: ["--check"])
        XCTAssertEqual(check.waitForExit(timeout: 60), 1, check.transcript)
        XCTAssertTrue(check.transcript.contains("FAIL database: "), check.transcript)
        XCTAssertTrue(check.transcript.contains("invalid percent-encoded token"), check.transcript)
        let run = try start(["TOWER_DATABASE_URL": bad])
        XCTAssertEqual(run.waitForExit(timeout: 60), 1, run.transcript)
        XCTAssertTrue(run.waitForLog("cannot start", timeout: 1), run.transcript)
        for d in [check, run] { XCTAssertFalse(d.transcript.contains("Zq9"), d.transcript) }
    }

    func testARemotePlainHTTPQueueEndpointIsRefusedUnlessAllowed() throws {
        fixture = try WorkerFixture(name)
        let remote = ["AWS_ENDPOINT_URL_SQS": "http://sqs.example.invalid:4566"]
        let check = try start(remote, arguments: ["--check"])
        XCTAssertEqual(check.waitForExit(timeout: 60), 1, check.transcript)
        XCTAssertTrue(check.transcript.contains("FAIL configuration: ") && check.transcript.contains("TOWER_ALLOW_INSECURE_QUEUE=1"), check.transcript)
        let allowed = try start(remote.merging(["TOWER_ALLOW_INSECURE_QUEUE": "1"]) { a, _ in a }, arguments: ["--check"])
        XCTAssertEqual(allowed.waitForExit(timeout: 60), 1, allowed.transcript)
        XCTAssertTrue(allowed.transcript.contains("ok   configuration"), "allowed, it gets past the configuration:\n\(allowed.transcript)")
    }

    func testConsumesTheQueueWithAProfileFromACredentialsFileWithoutKeysInTheEnvironment() throws {
        fixture = try WorkerFixture(name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("towerd-profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let credentials = directory.appendingPathComponent("credentials").path
        try "[towerd]\naws_access_key_id = AKIATOWERDPROFILE\naws_secret_access_key = profile-secret-not-logged\n"
            .write(toFile: credentials, atomically: true, encoding: .utf8)
        var environment = fixture.settings
        for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] { environment[key] = nil }
        environment["HOME"] = directory.path
        environment["AWS_EC2_METADATA_DISABLED"] = "true"

        // Without any credentials: a clear error listing what was tried.
        let none = try DaemonProcess(environment: environment, arguments: ["--check"])
        daemons.append(none)
        XCTAssertEqual(none.waitForExit(timeout: 60), 1, none.transcript)
        for part in ["FAIL configuration: no AWS credentials found", "environment (AWS_ACCESS_KEY_ID not set)", "web identity", "profile default",
                     "container credentials", "EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)"] {
            XCTAssertTrue(none.transcript.contains(part), "\(part) missing:\n\(none.transcript)")
        }

        environment["AWS_SHARED_CREDENTIALS_FILE"] = credentials
        environment["AWS_PROFILE"] = "towerd"
        let check = try DaemonProcess(environment: environment, arguments: ["--check"])
        daemons.append(check)
        XCTAssertEqual(check.waitForExit(timeout: 60), 0, check.transcript)
        XCTAssertTrue(check.transcript.contains("ok   credentials: credentials from profile towerd"), check.transcript)

        let d = try DaemonProcess(environment: environment)
        daemons.append(d)
        XCTAssertTrue(d.waitForLog("started", timeout: 60), "towerd did not start:\n\(d.transcript)")
        let started = try XCTUnwrap(d.log.first { $0["msg"] as? String == "started" })
        XCTAssertTrue((started["aws_provider"] as? String)?.contains("profile towerd") == true, "\(started)")
        let ids = try fixture.send(bodies(30, customers: 6))
        try waitUntilDrained(ids, timeout: 60)
        stop(d)
        try fixture.assertAppliedExactlyOnce(ids)
        XCTAssertFalse(d.transcript.contains("profile-secret-not-logged") || check.transcript.contains("profile-secret-not-logged"))
    }

    /// The body of an HTTP GET (a plain socket client would do as well; URLSession is at hand).
    static func get(_ url: String) throws -> String {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var body: String?
        URLSession.shared.dataTask(with: URL(string: url)!) { data, _, _ in
            body = data.map { String(decoding: $0, as: UTF8.self) }
            done.signal()
        }.resume()
        done.wait()
        return try XCTUnwrap(body, "no answer from \(url)")
    }

    static func run(_ executable: String, _ arguments: String...) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
