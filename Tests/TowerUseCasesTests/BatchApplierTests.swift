import Foundation
import TowerConfig
import TowerEvents
import TowerModel
import TowerStore
import TowerUseCases
import XCTest

/// Applying a batch against real PostgreSQL with the untrained user tower: what towerd does per batch.
final class BatchApplierTests: UseCaseTestCase {
    private func event(_ message: String, customer: Int64, product: Int64, _ name: String, ago: TimeInterval) -> QueuedEvent {
        QueuedEvent(messageID: message, event: InteractionEvent(customerID: customer, productID: product, eventName: name,
                                                                occurredAtMicroseconds: InteractionEvent.microseconds(now.addingTimeInterval(-ago))))
    }

    private var applier: BatchApplier { BatchApplier(connection, window: window, eventIDHorizon: 7 * 86_400) }

    func testAppliesABatchAndStoresTheModelsVectorOfEachCustomersHistory() throws {
        let model = UserTowerModel.untrained(eventWeights: eventTypes.weights)
        var cues = 0
        let applied = try applier.apply([
            event("m1", customer: 10, product: 1, "product_viewed", ago: 60),
            event("m2", customer: 10, product: 2, "product_clicked", ago: 30),
            event("m3", customer: 11, product: 3, "product_added_to_cart", ago: 5),
        ], encoder: model, now: now, historiesRead: { cues += 1 })
        XCTAssertEqual(applied.result.outcomes, ["m1": .applied, "m2": .applied, "m3": .applied])
        XCTAssertEqual(applied.result.updatedCustomers, [10, 11])
        XCTAssertEqual(cues, 1)
        XCTAssertGreaterThanOrEqual(applied.encodeSeconds, 0)
        let expected = model.encode([
            [TowerInteraction(productVector: Self.vector(2), eventName: "product_clicked", ageSeconds: 30),
             TowerInteraction(productVector: Self.vector(1), eventName: "product_viewed", ageSeconds: 60)],
            [TowerInteraction(productVector: Self.vector(3), eventName: "product_added_to_cart", ageSeconds: 5)],
        ])
        let vectors = UserVectorRepository(connection)
        XCTAssertEqual(try vectors.vector(of: 10)?.embedding, expected[0], "most recent first, with ages from `now`")
        XCTAssertEqual(try vectors.vector(of: 11)?.embedding, expected[1])
        XCTAssertEqual(try vectors.vector(of: 10)?.modelVersion, model.version)
    }

    func testARedeliveredBatchChangesNothing() throws {
        let model = UserTowerModel.untrained(eventWeights: eventTypes.weights)
        let batch = [event("m1", customer: 10, product: 1, "product_viewed", ago: 60)]
        _ = try applier.apply(batch, encoder: model, now: now)
        let again = try applier.apply(batch, encoder: model, now: now.addingTimeInterval(10))
        XCTAssertEqual(again.result.outcomes, ["m1": .duplicate])
        XCTAssertEqual(again.result.updatedCustomers, [])
        XCTAssertEqual(try UserVectorRepository(connection).vector(of: 10)?.updatedAt, now, "the vector is not rewritten")
        XCTAssertEqual(try count("events"), 1)
    }

    /// A model computing vectors of the wrong width (a stand-in for a broken weights file).
    private struct NarrowEncoder: UserEncoder {
        let version = "narrow"
        func encode(_ histories: [[TowerInteraction]]) -> [[Float]] { histories.map { _ in [1, 0, 0] } }
    }

    func testUnfitModelOutputRollsTheWholeBatchBackSoItCanBeAppliedAgain() throws {
        let batch = [event("m1", customer: 10, product: 1, "product_viewed", ago: 60),
                     event("m2", customer: 11, product: 2, "product_viewed", ago: 60)]
        XCTAssertThrowsError(try applier.apply(batch, encoder: NarrowEncoder(), now: now)) { error in
            guard case .wrongWidth(customerID: 10, expected: UserVectorRepository.dimension, found: 3)? = error as? UserVectorWriteError else {
                return XCTFail("\(error)")
            }
        }
        for table in ["events", "interactions", "processed_messages", "user_vectors"] {
            XCTAssertEqual(try count(table), 0, "\(table) after the rollback")
        }
        let model = UserTowerModel.untrained(eventWeights: eventTypes.weights)
        XCTAssertEqual(try applier.apply(batch, encoder: model, now: now).result.outcomes, ["m1": .applied, "m2": .applied])
    }
}
