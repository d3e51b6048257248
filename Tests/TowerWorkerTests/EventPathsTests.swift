import Foundation
import LibPQ
import TowerConfig
import TowerEvents
import TowerQueue
import TowerStore
import TowerTestSupport
import TowerWorker
import XCTest

/// The event contract's accept/reject table (`EventContractCase.all`) through the three real paths: towerd on the real
/// queue and PostgreSQL, `EventImporter` (`tower events import`) on a file of the same bodies, and `tower send --dry-run`.
/// Every path must give the table's decision, and the rejections the same code and explanation.
final class EventPathsTests: XCTestCase {
    private var fixture: WorkerFixture!
    private var daemon: DaemonProcess?
    private var importDatabase: ScratchDatabase?

    override func tearDown() {
        if let daemon, daemon.process.isRunning { daemon.signal(SIGKILL) }
        fixture?.tearDown()
        importDatabase?.drop()
    }

    /// What one path made of a body.
    private enum Answer: Equatable, CustomStringConvertible {
        case accepted(InteractionEvent)
        /// `tower send --dry-run` says only that it would send the body.
        case sendable
        case rejected(code: String, reason: String)

        var description: String {
            switch self {
            case .accepted(let e): return "accepted \(e)"
            case .sendable: return "accepted"
            case .rejected(let code, let reason): return "rejected \(code): \(reason)"
            }
        }
    }

    func testTheTableGetsTheSameAnswersOnTheQueueInAnImportAndFromTowerSend() throws {
        // The table's dates are fixed (a 2016 leap second among them): towerd's sweep must not expire them from the log
        // between the apply and the read (TOWER_EVENT_RETENTION's default is 90 days).
        fixture = try WorkerFixture(name, overrides: ["TOWER_EVENT_RETENTION": "off"])
        let cases = EventContractCase.all
        let started = InteractionEvent.microseconds(Date())
        let queue = try queueAnswers(cases)
        let finished = InteractionEvent.microseconds(Date())
        let imported = try importAnswers(cases)
        let sent = try sendAnswers(cases)

        for (i, c) in cases.enumerated() {
            let answers = "queue: \(queue[i]); import: \(imported[i]); send: \(sent[i])"
            switch c.expected {
            case .accepted(let customer, let product, let event, let at):
                let expected = InteractionEvent(customerID: customer, productID: product, eventName: event, occurredAtMicroseconds: at, eventID: c.eventID)
                XCTAssertEqual(queue[i], .accepted(expected), "\(c.name): \(answers)")
                XCTAssertEqual(imported[i], .accepted(expected), "\(c.name): \(answers)")
                XCTAssertEqual(sent[i], .sendable, "\(c.name): \(answers)")
            case .acceptedWithoutTime(let customer, let product, let event):
                guard case .accepted(let e) = queue[i] else { XCTFail("\(c.name): \(answers)"); continue }
                XCTAssertEqual(e, InteractionEvent(customerID: customer, productID: product, eventName: event, occurredAtMicroseconds: e.occurredAtMicroseconds))
                XCTAssertTrue((started - 5_000_000 ... finished).contains(e.occurredAtMicroseconds), "the queue's SentTimestamp: \(answers)")
                XCTAssertEqual(imported[i], .rejected(code: "missing_field", reason: "required field occurred_at is missing"), "\(c.name): \(answers)")
                XCTAssertEqual(sent[i], .sendable, "\(c.name): \(answers)")
            case .rejected(let code):
                guard case .rejected(let got, let reason) = queue[i] else { XCTFail("\(c.name): \(answers)"); continue }
                XCTAssertEqual(got, code, "\(c.name): \(answers)")
                XCTAssertEqual(imported[i], queue[i], "\(c.name): the same reason on the queue and in an import")
                XCTAssertEqual(sent[i], queue[i], "\(c.name): the same reason from tower send")
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    /// Sends every body to the real queue and lets towerd settle them: the applied events from the log, the refused
    /// ones from the DLQ's attributes.
    private func queueAnswers(_ cases: [EventContractCase]) throws -> [Answer] {
        let ids = try fixture.send(cases.map(\.body))
        let refused = cases.filter { if case .rejected = $0.expected { return true } else { return false } }.count
        let d = try DaemonProcess(environment: fixture.settings)
        daemon = d
        XCTAssertTrue(d.waitForLog("started", timeout: 60), d.transcript)
        try fixture.waitForCount("SELECT count(*) FROM events", atLeast: cases.count - refused, timeout: 120)
        let dead = try fixture.receive(refused, from: fixture.dlqURL, polls: 30)
        d.signal(SIGTERM)
        XCTAssertEqual(d.waitForExit(timeout: 30), 0, d.transcript)
        XCTAssertEqual(try fixture.queueDepth(), 0, "every message settled")

        var answers: [String: Answer] = [:]
        for m in dead {
            let source = try XCTUnwrap(m.messageAttributes[DeadLetterAttributes.sourceMessageID]?.stringValue)
            answers[source] = .rejected(code: m.messageAttributes[DeadLetterAttributes.reason]?.stringValue ?? "?",
                                        reason: m.messageAttributes[DeadLetterAttributes.detail]?.stringValue ?? "?")
        }
        for row in try fixture.connection.query("""
            SELECT e.message_id, e.customer_id, e.product_id, e.event_name, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, p.event_id
            FROM events e LEFT JOIN producer_event_ids p ON p.message_id = e.message_id
            """).rows {
            answers[try row.decode(0)] = .accepted(InteractionEvent(customerID: try row.decode(1), productID: try row.decode(2), eventName: try row.decode(3),
                                                                    occurredAtMicroseconds: try row.decode(4), eventID: try row.decodeIfPresent(5)))
        }
        return ids.map { answers[$0] ?? .rejected(code: "no answer", reason: "") }
    }

    /// Imports the bodies as the lines of one file into a database of its own.
    private func importAnswers(_ cases: [EventContractCase]) throws -> [Answer] {
        let db = try ScratchDatabase(name + "import")
        importDatabase = db
        let connection = try db.connect()
        try Migrator(connection).migrate(readOnlyRole: nil)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("event-paths-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(cases.map(\.body).joined(separator: "\n").utf8).write(to: file)
        var values = fixture.settings
        values["TOWER_DATABASE_URL"] = db.url
        let report = try EventImporter(connection, settings: try TowerSettings(ConfigSource(values: values))).importFile(path: file.path)
        XCTAssertEqual(report.lines.rejections.count, report.lines.rejectedCount, "every rejection is in the sample")

        var answers: [Int: Answer] = [:]
        for r in report.lines.rejections { answers[r.line] = .rejected(code: r.code, reason: r.reason) }
        let logged = try EventLogRepository(connection).events()
        let acceptedLines = (1...cases.count).filter { answers[$0] == nil }
        XCTAssertEqual(logged.count, acceptedLines.count, "one event per accepted line")
        let eventIDs = Set(try connection.query("SELECT event_id FROM producer_event_ids").rows.map { try $0.decode(0, as: String.self) })
        XCTAssertEqual(eventIDs, Set(cases.compactMap(\.eventID)), "the accepted lines' event ids are recorded")
        // The log is in time order; accepted cases have distinct customers, which pair rows with lines.
        let byCustomer = Dictionary(logged.map { ($0.customerID, $0) }, uniquingKeysWith: { first, _ in first })
        for line in acceptedLines {
            let c = cases[line - 1]
            var customer: Int64 = 0
            if case .accepted(let expected, _, _, _) = c.expected { customer = expected }
            guard var event = byCustomer[customer] else { answers[line] = .rejected(code: "accepted, not the expected customer", reason: ""); continue }
            event.eventID = c.eventID // the log keeps it in producer_event_ids (checked above)
            answers[line] = .accepted(event)
        }
        return (1...cases.count).map { answers[$0]! }
    }

    /// `tower send --dry-run --body` for each body: sendable, or refused with the daemon's reason.
    private func sendAnswers(_ cases: [EventContractCase]) throws -> [Answer] {
        let tower = try DaemonProcess.binary("tower")
        let refusal = try NSRegularExpression(pattern: #"would dead-letter this body \(([a-z_]+)\): (.*); fix it, or send it anyway with --unchecked"#)
        return try cases.map { c in
            let run = try runCapturingOutput(tower, ["send", "--dry-run", "--body", c.body], environment: fixture.settings)
            if run.status == 0 { return .sendable }
            let text = run.output as NSString
            guard let m = refusal.firstMatch(in: run.output, range: NSRange(location: 0, length: text.length)) else {
                return .rejected(code: "unparsed", reason: run.output)
            }
            return .rejected(code: text.substring(with: m.range(at: 1)), reason: text.substring(with: m.range(at: 2)))
        }
    }
}
