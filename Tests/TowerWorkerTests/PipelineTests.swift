import Foundation
import LibPQ
import Logging
import TowerConfig
import TowerQueue
import TowerStore
import TowerTestSupport
import XCTest
@testable import TowerWorker

/// The pipeline in process, against the real queue server and PostgreSQL.
final class PipelineTests: XCTestCase {
    private var fixture: WorkerFixture!

    override func tearDown() {
        fixture?.tearDown()
    }

    func testEventsBecomeStoredVectorsEqualToTheModelsOutput() throws {
        fixture = try WorkerFixture(name)
        let ids = try fixture.send([
            WorkerFixture.body(customer: 1, product: 3), WorkerFixture.body(customer: 1, product: 4, event: "product_clicked"),
            WorkerFixture.body(customer: 2, product: 5, event: "product_added_to_cart"),
            #"{"customer_id":"1","product_id":"6","event_name":"product_viewed","occurred_at":"\#(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3600)))"}"#,
        ])
        let summaries = try fixture.drain(with: try fixture.pipeline())
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.applied }, 4)
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.rejected }, 0)
        try fixture.assertAppliedExactlyOnce(ids)
        try fixture.assertVectorsMatchRecompute(customers: [1, 2])
        XCTAssertEqual(try fixture.queueDepth(), 0, "applied messages are deleted")
        let occurred = try fixture.connection.query("SELECT extract(epoch FROM now() - occurred_at)::float8 FROM events WHERE product_id = 6")[0]
            .decode(0, as: Double.self)
        XCTAssertEqual(occurred, 3600, accuracy: 60, "occurred_at from the body wins over SentTimestamp")
    }

    func testARedeliveredMessageIsAppliedOnce() throws {
        fixture = try WorkerFixture(name)
        let ids = try fixture.send([WorkerFixture.body(customer: 7, product: 1)])
        // Take the message with a short visibility timeout and let it reappear: a crash after commit, before delete.
        let first = try fixture.receive(1, visibility: 1)
        XCTAssertEqual(first.count, 1)
        Thread.sleep(forTimeInterval: 1.5)
        let second = try fixture.receive(1, visibility: 30)
        XCTAssertEqual(second.map(\.messageID), first.map(\.messageID))
        XCTAssertEqual(second.first?.approximateReceiveCount, 2)

        let pipeline = try fixture.pipeline()
        let applied = try pipeline.process(first)
        XCTAssertEqual(applied.applied, 1)
        let vector = try UserVectorRepository(fixture.connection).vector(of: 7)
        let redelivered = try pipeline.process(second)
        XCTAssertEqual(redelivered.applied, 0)
        XCTAssertEqual(redelivered.duplicates, 1)
        try fixture.assertAppliedExactlyOnce(ids)
        XCTAssertEqual(try UserVectorRepository(fixture.connection).vector(of: 7), vector, "a duplicate leaves the vector alone")
        XCTAssertEqual(try fixture.queueDepth(), 0)
    }

    func testAProducersRetryWithTheSameEventIDIsAppliedOnceAndABadEventIDIsDeadLettered() throws {
        fixture = try WorkerFixture(name)
        let event = #"{"customer_id":7,"product_id":1,"event_name":"product_viewed","event_id":"order-1"}"#
        let badID = #"{"customer_id":7,"product_id":2,"event_name":"product_viewed","event_id":"\#(String(repeating: "x", count: 129))"}"#
        // The producer sent the event, did not hear back, and sent it again: two messages, one event.
        let first = try fixture.send([event, badID])
        let summaries = try fixture.drain(with: try fixture.pipeline())
        let retry = try fixture.send([event])
        let later = try fixture.drain(with: try fixture.pipeline())
        XCTAssertEqual((summaries + later).reduce(0) { $0 + $1.applied }, 1)
        XCTAssertEqual(later.reduce(0) { $0 + $1.duplicates }, 1)
        try fixture.assertAppliedExactlyOnce([first[0]])
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events WHERE message_id = $1", [retry[0]]), 0)
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM processed_messages WHERE message_id = $1", [retry[0]]), 1, "the retry is settled")
        XCTAssertEqual(try fixture.queueDepth(), 0)
        let dead = try fixture.receive(1, from: fixture.dlqURL)
        XCTAssertEqual(dead.first?.messageAttributes[DeadLetterAttributes.reason]?.stringValue, "bad_event_id")
    }

    func testTowerSendPassesTheEventIDSoItsCopiesApplyOnce() throws {
        fixture = try WorkerFixture(name)
        let tower = try DaemonProcess.binary("tower")
        let sent = try runCapturingOutput(tower, ["send", "--customer", "9", "--product", "2", "--event", "product_clicked",
                                                  "--event-id", "cli-1", "--count", "3"], environment: fixture.settings)
        XCTAssertEqual(sent.status, 0, sent.output)
        let summaries = try fixture.drain(with: try fixture.pipeline())
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.applied }, 1)
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.duplicates }, 2)
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events WHERE customer_id = 9"), 1)
        let tooLong = try runCapturingOutput(tower, ["send", "--customer", "9", "--product", "2", "--event", "product_clicked",
                                                     "--event-id", String(repeating: "x", count: 129)], environment: fixture.settings)
        XCTAssertNotEqual(tooLong.status, 0)
        XCTAssertTrue(tooLong.output.contains("--event-id is 129 bytes, over the 128-byte limit"), tooLong.output)
    }

    func testAMessageTheQueueDeliversUnreadableIsDeadLetteredAloneWhileItsBatchMatesApply() throws {
        fixture = try WorkerFixture(name)
        let ids = try fixture.send((1...10).map { WorkerFixture.body(customer: Int64($0), product: Int64($0)) })
        var batch = try fixture.receive(10, visibility: 30)
        XCTAssertEqual(batch.count, 10)
        // Real queue servers refuse such bodies on send (InvalidMessageContents), so one of the received messages is
        // given what SQSClient makes of a reply whose Body holds a lone surrogate (see ClientBehaviourTests).
        let bad = batch.firstIndex { $0.messageID == ids[3] }!
        batch[bad].body = "{\"customer_id\":4,\"note\":\"\u{FFFD}\"}"
        batch[bad].unreadable = "Body: lone high surrogate in \\u escape at byte 40"
        let summary = try fixture.pipeline().process(batch)
        XCTAssertEqual(summary.applied, 9)
        XCTAssertEqual(summary.rejected, 1)
        try fixture.assertAppliedExactlyOnce(ids.filter { $0 != ids[3] })
        XCTAssertEqual(try fixture.queueDepth(), 0)
        let dead = try fixture.receive(1, from: fixture.dlqURL)
        XCTAssertEqual(dead.first?.messageAttributes[DeadLetterAttributes.reason]?.stringValue, "unreadable_message")
        XCTAssertEqual(dead.first?.messageAttributes[DeadLetterAttributes.sourceMessageID]?.stringValue, ids[3])
        XCTAssertEqual(dead.first?.body, batch[bad].body, "the DLQ copy holds the salvaged body")
    }

    func testPoisonMessagesGoToTheDeadLetterQueueWithTheirReasonWhileBatchMatesAreApplied() throws {
        fixture = try WorkerFixture(name)
        let good = [WorkerFixture.body(customer: 1, product: 1), WorkerFixture.body(customer: 2, product: 2)]
        let poison = [
            "{not json", WorkerFixture.body(customer: 1, product: 1, event: "product_teleported"),
            #"{"customer_id":0,"product_id":1,"event_name":"product_viewed"}"#, #"{"customer_id":1,"event_name":"product_viewed"}"#,
        ]
        let ids = try fixture.send([good[0], poison[0], poison[1], good[1], poison[2], poison[3]])
        let summaries = try fixture.drain(with: try fixture.pipeline())
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.applied }, 2)
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.rejected }, 4)
        try fixture.assertAppliedExactlyOnce([ids[0], ids[3]])
        XCTAssertEqual(try fixture.queueDepth(), 0, "dead-lettered messages leave the main queue")

        let dead = try fixture.receive(4, from: fixture.dlqURL)
        var reasons: [String: String] = [:]
        for message in dead {
            reasons[message.body] = message.messageAttributes[DeadLetterAttributes.reason]?.stringValue
            XCTAssertNotNil(message.messageAttributes[DeadLetterAttributes.detail]?.stringValue)
            XCTAssertTrue(ids.contains(message.messageAttributes[DeadLetterAttributes.sourceMessageID]?.stringValue ?? ""))
        }
        XCTAssertEqual(reasons, [poison[0]: "malformed_json", poison[1]: "unknown_event_type", poison[2]: "id_out_of_range",
                                 poison[3]: "missing_field"])
    }

    func testAnEventWhoseProductHasNoVectorIsRetriedThenDeadLettered() throws {
        fixture = try WorkerFixture(name, overrides: ["TOWER_PRODUCT_RETRY_RECEIVES": "3", "TOWER_PRODUCT_RETRY_DELAY": "1s"])
        let missing = Int64(fixture.products + 1)
        try fixture.send([WorkerFixture.body(customer: 1, product: missing), WorkerFixture.body(customer: 1, product: 1)])
        let pipeline = try fixture.pipeline()
        let first = try pipeline.process(try fixture.receive(2))
        XCTAssertEqual(first.applied, 1)
        XCTAssertEqual(first.deferred, 1)
        // Receive 2: still no vector, postponed again (2 s); receive 3: dead-lettered.
        for (attempt, expectDeferred) in [(2, 1), (3, 0)] {
            let batch = try fixture.receive(1, polls: 8)
            XCTAssertEqual(batch.first?.approximateReceiveCount, attempt)
            let summary = try pipeline.process(batch)
            XCTAssertEqual(summary.deferred, expectDeferred)
            XCTAssertEqual(summary.rejected, 1 - expectDeferred)
        }
        let dead = try fixture.receive(1, from: fixture.dlqURL)
        XCTAssertEqual(dead.first?.messageAttributes[DeadLetterAttributes.reason]?.stringValue, "product_without_vector")
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events WHERE product_id = $1", [missing]), 0)
    }

    func testAProductThatGetsItsVectorLaterIsApplied() throws {
        fixture = try WorkerFixture(name, overrides: ["TOWER_PRODUCT_RETRY_DELAY": "1s"])
        let missing = Int64(fixture.products + 1)
        let ids = try fixture.send([WorkerFixture.body(customer: 1, product: missing)])
        let pipeline = try fixture.pipeline()
        XCTAssertEqual(try pipeline.process(try fixture.receive(1)).deferred, 1)
        try fixture.connection.execute("UPDATE products SET embedding = (SELECT embedding FROM products WHERE product_id = 1) WHERE product_id = $1",
                                       [missing])
        XCTAssertEqual(try pipeline.process(try fixture.receive(1, polls: 8)).applied, 1)
        try fixture.assertAppliedExactlyOnce(ids)
    }

    func testWithoutADeadLetterQueueRejectedMessagesStayForTheRedrivePolicy() throws {
        fixture = try WorkerFixture(name, overrides: ["TOWER_DLQ_URL": ""])
        XCTAssertNil(fixture.configuration.deadLetterQueueURL)
        try fixture.send(["{not json", WorkerFixture.body(customer: 1, product: 1)])
        let summary = try fixture.pipeline().process(try fixture.receive(2))
        XCTAssertEqual(summary.applied, 1)
        XCTAssertEqual(summary.rejected, 1)
        XCTAssertEqual(try fixture.queueDepth(), 1, "the rejected message is not deleted")
        XCTAssertEqual(try fixture.queueDepth(fixture.dlqURL), 0)
    }

    func testTheSweepPrunesQuietCustomersAndOldMessageIDs() throws {
        fixture = try WorkerFixture(name)
        try fixture.send([WorkerFixture.body(customer: 1, product: 1),
                          #"{"customer_id":2,"product_id":2,"event_name":"product_viewed","event_id":"e-2"}"#])
        _ = try fixture.drain(with: try fixture.pipeline())
        try fixture.connection.execute("""
            INSERT INTO events (customer_id, product_id, event_name, occurred_at) VALUES (3, 3, 'product_viewed', now() - interval '100 days')
            """)
        let sweeper = Sweeper(configuration: fixture.configuration, stop: StopSignal(), logger: .init(label: "test"))
        try sweeper.sweep(now: Date())
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM interactions"), 2, "nothing is old yet")
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events"), 2, "events older than TOWER_EVENT_RETENTION (90 days) are deleted")
        XCTAssertGreaterThan(try fixture.count("SELECT count(*) FROM products WHERE popularity > 0"), 0, "popularity refreshed")
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM product_trending"), 2, "trending refreshed")
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM product_neighbors"), 0, "no customer touched two products")

        try sweeper.sweep(now: Date().addingTimeInterval(WorkerFixture.window + 60))
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM interactions"), 0)
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM user_vectors"), 2, "vectors of quiet customers stay")
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM processed_messages"), 2)
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM producer_event_ids"), 1)
        try sweeper.sweep(now: Date().addingTimeInterval(fixture.configuration.settings.eventIDHorizonSeconds + 60))
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM producer_event_ids"), 0, "event ids past TOWER_EVENT_ID_HORIZON are forgotten")
        try sweeper.sweep(now: Date().addingTimeInterval(fixture.configuration.processedRetentionSeconds + 60))
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM processed_messages"), 0)
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events"), 2, "the event log is not pruned by the window")
    }
}
