import Foundation
import TowerConfig
import TowerQueue
import XCTest
@testable import TowerWorker

/// `towerd --check` and start-up read the queue's redrive policy (real queue server) and refuse a retry budget
/// SQS would cut short.
final class PreflightTests: XCTestCase {
    private var fixture: WorkerFixture!
    private var redriven: String?

    override func tearDown() {
        if let redriven { try? fixture.client.deleteQueue(queueURL: redriven) }
        fixture?.tearDown()
    }

    private func preflight(maxReceiveCount: String, retries: Int) throws -> Preflight {
        let arn = try XCTUnwrap(try fixture.client.getQueueAttributes(queueURL: fixture.dlqURL, names: ["QueueArn"])["QueueArn"])
        if let redriven { try fixture.client.deleteQueue(queueURL: redriven) }
        let policy = #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":\#(maxReceiveCount)}"#
        let queue = try fixture.client.createQueue(name: "tw-redrive-\(UUID().uuidString.prefix(8).lowercased())",
                                                   attributes: ["RedrivePolicy": policy])
        redriven = queue
        var values = fixture.settings
        values["TOWER_QUEUE_URL"] = queue
        values["TOWER_PRODUCT_RETRY_RECEIVES"] = "\(retries)"
        return Preflight(configuration: try DaemonConfiguration(ConfigSource(values: values)))
    }

    func testARetryBudgetAtOrAboveTheRedrivePolicysMaxReceiveCountIsRefused() throws {
        fixture = try WorkerFixture(name)
        for (max, retries) in [(#""5""#, 8), ("5", 5)] {
            XCTAssertThrowsError(try preflight(maxReceiveCount: max, retries: retries).queues(), "\(max) vs \(retries)") {
                XCTAssertEqual($0 as? PreflightError, .retryBudgetExceedsRedrive(productRetryReceives: retries, maxReceiveCount: 5))
                XCTAssertTrue("\($0)".contains("TOWER_PRODUCT_RETRY_RECEIVES"), "\($0)")
            }
        }
        let lines = try preflight(maxReceiveCount: #""10""#, retries: 8).queues().lines
        XCTAssertTrue(lines.contains { $0.contains("dead-lettered at receive 8, before the redrive policy's 10") }, "\(lines)")
        XCTAssertEqual(Preflight.maxReceiveCount("not json"), nil)
    }
}
