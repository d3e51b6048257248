import Foundation
import TowerEvents
import TowerQueue
import XCTest
@testable import TowerWorker

/// Dead-letter copies stay inside SQS's 256 KiB limits (per message, per SendMessageBatch), tested at the limits
/// with the real queue server.
final class DeadLetterCopyTests: XCTestCase {
    private var fixture: WorkerFixture!

    override func tearDown() {
        fixture?.tearDown()
    }

    /// A JSON event body of exactly `bytes` bytes.
    private func body(_ bytes: Int, customer: Int = 1) -> String {
        let head = #"{"customer_id":\#(customer),"product_id":1,"event_name":"product_viewed","pad":""#
        return head + String(repeating: "x", count: bytes - head.utf8.count - 2) + #""}"#
    }

    private func rejection(_ body: String, id: String = UUID().uuidString) -> Settlement.Rejection {
        let message = SQSMessage(messageID: id, receiptHandle: "r-\(id)", body: body)
        return (message, .invalidEvent(.tooLarge(bytes: body.utf8.count, limit: 16_384)), [message])
    }

    func testCopiesAndBatchesKeepTheLimitsAndTheMostImportantAttributes() {
        let limit = DeadLetterCopy.maxBytes
        let full = DeadLetterCopy.entry(id: "m0", for: rejection(body(limit)))
        XCTAssertEqual(full.body.utf8.count, limit, "the body is never cut")
        XCTAssertEqual(full.messageAttributes, [:], "no room for attributes beside a 256 KiB body")
        let near = DeadLetterCopy.entry(id: "m0", for: rejection(body(limit - 100)))
        XCTAssertEqual(near.messageAttributes[DeadLetterAttributes.reason]?.stringValue, "too_large")
        XCTAssertNotNil(near.messageAttributes[DeadLetterAttributes.sourceMessageID])
        XCTAssertLessThanOrEqual(DeadLetterCopy.size(of: near), limit)
        let roomy = DeadLetterCopy.entry(id: "m0", for: rejection(body(limit - 150)))
        XCTAssertNotNil(roomy.messageAttributes[DeadLetterAttributes.detail], "a shortened detail still fits")
        XCTAssertLessThan(roomy.messageAttributes[DeadLetterAttributes.detail]?.stringValue?.count ?? 0, 40)
        XCTAssertEqual(DeadLetterCopy.size(of: roomy), limit, "the detail fills the room exactly")

        let batches = DeadLetterCopy.batches((0..<25).map { rejection(body($0 % 3 == 0 ? 100_000 : 20_000, customer: $0 + 1)) })
        XCTAssertEqual(batches.reduce(0) { $0 + $1.count }, 25)
        for batch in batches {
            XCTAssertLessThanOrEqual(batch.count, 10)
            XCTAssertLessThanOrEqual(batch.reduce(0) { $0 + DeadLetterCopy.size(of: $1.entry) }, limit)
            XCTAssertEqual(batch.map(\.entry.id), batch.indices.map { "m\($0)" })
        }
    }

    func testMessagesAtTheSizeLimitAreDeadLetteredInsteadOfLooping() throws {
        fixture = try WorkerFixture(name)
        let bodies = [body(DeadLetterCopy.maxBytes), body(DeadLetterCopy.maxBytes - 100)] + (3...10).map { body(100_000, customer: $0) }
        for b in bodies { _ = try fixture.client.sendMessage(queueURL: fixture.queueURL, body: b) }
        let batch = try fixture.receive(10, visibility: 30)
        XCTAssertEqual(batch.count, 10)
        let summary = try fixture.pipeline().process(batch)
        XCTAssertEqual(summary.rejected, 10)
        XCTAssertEqual(try fixture.queueDepth(), 0, "every copy was accepted, so every original is deleted")
        let dead = try fixture.receive(10, from: fixture.dlqURL)
        XCTAssertEqual(Set(dead.map(\.body)), Set(bodies))
        let reasons = dead.filter { $0.body != bodies[0] }.map { $0.messageAttributes[DeadLetterAttributes.reason]?.stringValue }
        XCTAssertEqual(reasons, Array(repeating: "too_large", count: 9))
        // ministack accepts oversized messages (AWS refuses them), so the limit is asserted on what arrived.
        for m in dead {
            let size = DeadLetterCopy.size(of: SQSSendEntry(id: "x", body: m.body, messageAttributes: m.messageAttributes))
            XCTAssertLessThanOrEqual(size, DeadLetterCopy.maxBytes, "AWS would refuse this copy, and the original would loop")
        }
    }
}
