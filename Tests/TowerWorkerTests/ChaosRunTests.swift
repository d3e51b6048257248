import Foundation
import TowerTestSupport
import XCTest

/// `tower-bench chaos` at a small setting, against the real servers: two towerd on one queue, kill -9, a PostgreSQL
/// restart and outage, a queue-server outage, adversarial messages of every kind among valid ones. The run's own
/// figures are asserted, so a lost, doubled or wrongly dead-lettered event, a bad message without its reason, a
/// stored vector unlike its recompute or a secret in a log line fails the test.
final class ChaosRunTests: XCTestCase {
    func testSmallChaosRunAppliesEveryValidEventOnceAndDeadLettersEveryBadOne() throws {
        let towerd = try DaemonProcess.binary()
        let bench = towerd.deletingLastPathComponent().appendingPathComponent("tower-bench")
        guard FileManager.default.isExecutableFile(atPath: bench.path) else {
            throw XCTSkip("no tower-bench binary beside the tests: build it with `swift build --build-tests`")
        }
        _ = try TestEnvironment.require("TOWER_LOCAL_SCRIPT")
        let (valid, bad, kills) = (2_000, 160, 3)
        let (status, output) = try run(bench, [
            "chaos", "--events", "\(valid)", "--bad", "\(bad)", "--kills", "\(kills)", "--postgres-restarts", "1",
            "--database-outage", "6", "--queue-outage", "4", "--products", "300", "--customers", "150", "--backlog", "200",
            "--visibility-timeout", "10", "--time-limit", "150", "--database", "tower_chaos_test", "--towerd", towerd.path, "--json",
        ], timeout: 180)
        let last = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let figures = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "no JSON figures in:\n\(output)")
        func value(_ path: String) -> Int {
            var node: Any? = figures
            for key in path.split(separator: ".") { node = (node as? [String: Any])?[String(key)] }
            return (node as? NSNumber)?.intValue ?? -1
        }
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(value("valid.sent"), valid)
        XCTAssertEqual(value("valid.producerRetries"), valid / 25, "every 25th event is sent twice with one event_id")
        XCTAssertEqual(value("valid.appliedOnce"), valid, output)
        for figure in ["valid.lost", "valid.appliedTwice", "valid.wrongContent", "valid.deadLettered", "bad.applied",
                       "deadLetters.withoutReason", "deadLetters.unknownSource", "vectors.missing", "vectors.unexpected",
                       "vectors.overTolerance", "vectors.wrongModelVersion", "vectors.interactionsNotMatchingEvents",
                       "logs.withSecret"] {
            XCTAssertEqual(value(figure), 0, "\(figure):\n\(output)")
        }
        XCTAssertEqual(value("bad.sent"), bad)
        XCTAssertEqual(value("bad.inDeadLetterQueue"), bad, output)
        XCTAssertEqual(value("bad.expectedReason"), bad, output)
        let kinds = try XCTUnwrap((figures["bad"] as? [String: Any])?["kinds"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(kinds.count, 16)
        for kind in kinds {
            let sent = (kind["sent"] as? NSNumber)?.intValue ?? 0
            XCTAssertGreaterThan(sent, 0, "\(kind)")
            XCTAssertEqual((kind["expectedReason"] as? NSNumber)?.intValue, sent, "\(kind)")
        }
        XCTAssertGreaterThan(value("vectors.customers"), 0)
        XCTAssertEqual(value("vectors.compared"), value("vectors.customers"))
        XCTAssertGreaterThanOrEqual(value("logs.secretsChecked"), 2, "the database password and the AWS secret key are looked for")
        XCTAssertGreaterThan(value("logs.lines"), 0)
        XCTAssertEqual(value("faults.kills"), kills)
        XCTAssertEqual(value("logs.starts"), 2 + kills, "every killed daemon was replaced")
        XCTAssertEqual(value("faults.postgresRestarts"), 1)
        XCTAssertEqual(value("faults.daemons"), 2)
        XCTAssertEqual(figures["drained"] as? Bool, true)
        XCTAssertEqual(figures["daemonsStoppedCleanly"] as? Bool, true)
    }

    /// Runs `binary` with the test settings; stdout and stderr go to a file (a server it restarts must not hold a
    /// pipe of ours). Kills it after `timeout` seconds.
    private func run(_ binary: URL, _ arguments: [String], timeout: Double) throws -> (Int32, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tower-chaos-test-\(getpid()).out")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.environment = TestEnvironment.values
        p.currentDirectoryURL = TestEnvironment.packageRoot
        let handle = try FileHandle(forWritingTo: file)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTFail("tower-bench chaos did not finish within \(Int(timeout)) s")
        }
        return (p.terminationStatus, (try? String(contentsOf: file, encoding: .utf8)) ?? "")
    }
}
