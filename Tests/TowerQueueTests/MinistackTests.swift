import Foundation
import TowerConfig
import XCTest
@testable import TowerQueue

/// Integration tests against the SQS-compatible server of `deploy/local.sh up` (AWS_ENDPOINT_URL_SQS in
/// .local/tower.env). Each test works on its own uniquely named queue and deletes it afterwards.
final class MinistackTests: XCTestCase {
    private var client: SQSClient!
    private var queue: String!

    override func setUpWithError() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let envFile = root.appendingPathComponent(".local/tower.env").path
        guard FileManager.default.fileExists(atPath: envFile) else {
            throw XCTSkip("no .local/tower.env: run `deploy/local.sh up` for the queue integration tests")
        }
        client = try SQSClient(ConfigSource.load(envFile: envFile))
        let name = "tower-test-\(UUID().uuidString.prefix(8).lowercased())"
        queue = try client.createQueue(name: name, attributes: ["VisibilityTimeout": "30"])
    }

    override func tearDownWithError() throws {
        if let queue { try client.deleteQueue(queueURL: queue) }
    }

    /// Receives until `count` messages arrived (or 10 empty polls).
    private func receive(_ count: Int, visibility: Int? = nil) throws -> [SQSMessage] {
        var messages: [SQSMessage] = []
        var polls = 0
        while messages.count < count, polls < 10 {
            messages += try client.receiveMessages(queueURL: queue, waitTimeSeconds: 1, visibilityTimeout: visibility)
            polls += 1
        }
        return messages
    }

    func testSendBatchReceiveAndDeleteBatch() throws {
        let entries = (0..<10).map {
            SQSSendEntry(id: "e\($0)", body: #"{"customer_id":\#($0),"event_name":"product_viewed"}"#,
                         messageAttributes: ["source": .string("test"), "seq": .number(Int64($0))])
        }
        let before = Int64(Date().timeIntervalSince1970 * 1000) - 5_000
        let sent = try client.sendMessageBatch(queueURL: queue, entries: entries)
        XCTAssertEqual(sent.failed, [])
        XCTAssertEqual(Set(sent.successful.map(\.id)), Set(entries.map(\.id)))

        let messages = try receive(10)
        XCTAssertEqual(messages.count, 10)
        XCTAssertEqual(Set(messages.map(\.messageID)), Set(sent.successful.map(\.messageID)))
        XCTAssertEqual(Set(messages.map(\.body)), Set(entries.map(\.body)))
        for message in messages {
            XCTAssertEqual(message.approximateReceiveCount, 1)
            XCTAssertGreaterThan(try XCTUnwrap(message.sentTimestamp), before)
            XCTAssertEqual(message.messageAttributes["source"], .string("test"))
            XCTAssertEqual(message.messageAttributes["seq"]?.dataType, "Number")
        }
        let failures = try client.deleteMessageBatch(queueURL: queue, entries: messages.enumerated().map {
            SQSDeleteEntry(id: "d\($0.offset)", receiptHandle: $0.element.receiptHandle)
        })
        XCTAssertEqual(failures, [])
        let attributes = try client.getQueueAttributes(queueURL: queue, names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        XCTAssertEqual(attributes["ApproximateNumberOfMessages"], "0")
        XCTAssertEqual(attributes["ApproximateNumberOfMessagesNotVisible"], "0")
    }

    func testEmptyReceiveReturnsNoMessages() throws {
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 1), [])
    }

    func testFailedDeleteEntriesAreReturnedAndGoodOnesApplied() throws {
        _ = try client.sendMessage(queueURL: queue, body: "keep-me-not")
        let message = try XCTUnwrap(receive(1).first)
        let failures = try client.deleteMessageBatch(queueURL: queue, entries: [
            SQSDeleteEntry(id: "good", receiptHandle: message.receiptHandle),
            SQSDeleteEntry(id: "bad", receiptHandle: "not-a-receipt-handle"),
        ])
        XCTAssertEqual(failures.map(\.id), ["bad"])
        XCTAssertFalse(failures[0].code.isEmpty)
        XCTAssertEqual(try client.getQueueAttributes(queueURL: queue, names: ["ApproximateNumberOfMessagesNotVisible"])["ApproximateNumberOfMessagesNotVisible"], "0")
    }

    func testChangeVisibilityMakesAMessageReappear() throws {
        let id = try client.sendMessage(queueURL: queue, body: "again")
        let first = try XCTUnwrap(receive(1, visibility: 60).first)
        XCTAssertEqual(first.messageID, id)
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0), [], "hidden while invisible")
        try client.changeMessageVisibility(queueURL: queue, receiptHandle: first.receiptHandle, visibilityTimeout: 0)
        let second = try XCTUnwrap(receive(1, visibility: 60).first)
        XCTAssertEqual(second.messageID, id)
        XCTAssertEqual(second.approximateReceiveCount, 2)

        let failures = try client.changeMessageVisibilityBatch(queueURL: queue, entries: [
            SQSVisibilityEntry(id: "ok", receiptHandle: second.receiptHandle, visibilityTimeout: 0),
            SQSVisibilityEntry(id: "stale", receiptHandle: "not-a-receipt-handle", visibilityTimeout: 0),
        ])
        XCTAssertEqual(failures.map(\.id), ["stale"])
        let third = try XCTUnwrap(receive(1).first)
        XCTAssertEqual(third.approximateReceiveCount, 3)
        try client.deleteMessage(queueURL: queue, receiptHandle: third.receiptHandle)
    }

    func testQueueAttributesAndURLLookup() throws {
        let attributes = try client.getQueueAttributes(queueURL: queue)
        XCTAssertEqual(attributes["VisibilityTimeout"], "30")
        XCTAssertNotNil(attributes["QueueArn"])
        let name = try XCTUnwrap(queue.split(separator: "/").last)
        XCTAssertEqual(try client.getQueueURL(name: String(name)), queue)
    }

    func testMissingQueueIsAConfigurationError() throws {
        let missing = queue + "-missing"
        for call in [{ _ = try self.client.receiveMessages(queueURL: missing, waitTimeSeconds: 0) },
                     { _ = try self.client.getQueueAttributes(queueURL: missing) },
                     { _ = try self.client.sendMessage(queueURL: missing, body: "x") }] {
            XCTAssertThrowsError(try call()) {
                XCTAssertEqual($0 as? SQSError, .queueDoesNotExist(queue: missing))
                XCTAssertEqual(($0 as? SQSError)?.isConfigurationError, true)
            }
        }
        XCTAssertThrowsError(try client.getQueueURL(name: "tower-test-no-such-queue")) {
            XCTAssertEqual($0 as? SQSError, .queueDoesNotExist(queue: "tower-test-no-such-queue"))
        }
    }

    func testPurgeEmptiesTheQueue() throws {
        _ = try client.sendMessageBatch(queueURL: queue, entries: (0..<3).map { SQSSendEntry(id: "\($0)", body: "p\($0)") })
        try client.purgeQueue(queueURL: queue)
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0), [])
    }
}
