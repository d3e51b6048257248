import Foundation
import Logging
import XCTest
@testable import TowerRuntime

final class JSONLogHandlerTests: XCTestCase {
    /// Captures lines written by the handler.
    private final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    private func logger(journal: Bool = false, level: Logger.Level = .info) -> (Logger, Lines) {
        let lines = Lines()
        let output = LogOutput(journal: journal) { lines.append(String(decoding: $0, as: UTF8.self)) }
        return (Logger(label: "towerd") { JSONLogHandler(label: $0, level: level, output: output) }, lines)
    }

    private func object(_ line: String) throws -> [String: Any] {
        XCTAssertTrue(line.hasSuffix("}\n"), "one object per line")
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testOneJSONObjectPerLineWithFlattenedMetadata() throws {
        var (log, lines) = logger()
        log[metadataKey: "worker"] = .stringConvertible(2)
        log.info("batch \"applied\"\nsecond line", metadata: [
            "messages": .stringConvertible(10), "ratio": .stringConvertible(0.5), "ok": .stringConvertible(true),
            "queue": .string("tower-events"), "db": .dictionary(["ms": .stringConvertible(3)]),
            "ids": .array([.string("a"), .string("b")]), "msg": .string("collides"),
        ])
        let line = try XCTUnwrap(lines.all.first)
        let json = try object(line)
        XCTAssertEqual(json["level"] as? String, "info")
        XCTAssertEqual(json["label"] as? String, "towerd")
        XCTAssertEqual(json["msg"] as? String, "batch \"applied\"\nsecond line")
        XCTAssertEqual(json["_msg"] as? String, "collides")
        XCTAssertEqual(json["messages"] as? Int, 10)
        XCTAssertEqual(json["ratio"] as? Double, 0.5)
        XCTAssertEqual(json["ok"] as? Bool, true)
        XCTAssertEqual(json["worker"] as? Int, 2)
        XCTAssertEqual(json["db.ms"] as? Int, 3)
        XCTAssertEqual(json["ids"] as? [String], ["a", "b"])
        XCTAssertNil(json["at"])
        let ts = try XCTUnwrap(json["ts"] as? String)
        XCTAssertNotNil(try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(ts), ts)
        XCTAssertLessThan(abs(try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(ts).timeIntervalSinceNow), 60)
    }

    func testLevelFilterJournalPrefixAndErrorLocation() throws {
        let (log, lines) = logger(journal: true, level: .notice)
        log.info("dropped")
        log.notice("kept")
        let errorLine = #line + 1
        log.error("failed", metadata: ["queue": "q"])
        log.critical("down")
        XCTAssertEqual(lines.all.count, 3)
        XCTAssertTrue(lines.all[0].hasPrefix("<5>{"))
        XCTAssertTrue(lines.all[1].hasPrefix("<3>{"))
        XCTAssertTrue(lines.all[2].hasPrefix("<2>{"))
        let error = try object(String(lines.all[1].dropFirst(3)))
        XCTAssertEqual(error["queue"] as? String, "q")
        XCTAssertEqual(error["at"] as? String, "JSONLogHandlerTests.swift:\(errorLine)")
        XCTAssertEqual(JSONLogHandler.syslogPriority(.debug), 7)
        XCTAssertEqual(JSONLogHandler.syslogPriority(.warning), 4)
    }

    func testErrorsAttachedOrAsMetadata() throws {
        struct Failure: Error, CustomStringConvertible { var description: String { "cannot reach postgresql://u:pw@db/x" } }
        let (log, lines) = logger()
        log.warning("as metadata", metadata: ["error": "\(Failure())"])
        log.warning("attached", error: Failure(), metadata: ["error": "also metadata"])
        let first = try object(lines.all[0]), second = try object(lines.all[1])
        XCTAssertEqual(first["error"] as? String, "cannot reach postgresql://u:***@db/x")
        XCTAssertEqual(second["error"] as? String, "cannot reach postgresql://u:***@db/x")
        XCTAssertEqual(second["_error"] as? String, "also metadata")
    }

    func testCredentialsNeverReachTheLog() throws {
        let (log, lines) = logger()
        log.warning("cannot connect to postgresql://tower:hunter2@db/tower", metadata: [
            "url": .string("postgresql://tower:hunter2@db/tower"),
            "password": .string("hunter2"),
            "aws": .dictionary(["secret_access_key": .string("hunter2")]),
            "conninfo": .stringConvertible("host=db password=hunter2"),
        ])
        let line = try XCTUnwrap(lines.all.first)
        XCTAssertFalse(line.contains("hunter2"), line)
        let json = try object(line)
        XCTAssertEqual(json["url"] as? String, "postgresql://tower:***@db/tower")
        XCTAssertEqual(json["password"] as? String, "***")
        XCTAssertEqual(json["aws.secret_access_key"] as? String, "***")
    }

    func testLevelParsingAndJournalDetection() throws {
        XCTAssertEqual(try JSONLogHandler.level("WARNING"), .warning)
        XCTAssertThrowsError(try JSONLogHandler.level("loud"))
        XCTAssertFalse(LogOutput.stdoutIsJournal([:]))
        XCTAssertFalse(LogOutput.stdoutIsJournal(["JOURNAL_STREAM": "garbage"]))
        var info = stat()
        XCTAssertEqual(fstat(STDOUT_FILENO, &info), 0)
        XCTAssertTrue(LogOutput.stdoutIsJournal(["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        XCTAssertFalse(LogOutput.stdoutIsJournal(["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]),
                       "a JOURNAL_STREAM inherited by a process whose stdout was redirected does not count")
    }
}
