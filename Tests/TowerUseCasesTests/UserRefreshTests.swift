import Foundation
import LibPQ
import TowerConfig
import TowerModel
import TowerStore
import TowerTestSupport
import TowerUseCases
import XCTest

/// `tower users refresh` against real PostgreSQL with the untrained user tower.
final class UserRefreshTests: UseCaseTestCase {
    private lazy var model = UserTowerModel.untrained(eventWeights: eventTypes.weights)

    private func clicked(_ product: Int, ago: Float) -> TowerInteraction {
        TowerInteraction(productVector: Self.vector(product), eventName: "product_clicked", ageSeconds: ago)
    }

    func testRefreshRecomputesRemovesStaleAndPrunes() throws {
        try connection.insertInteraction(customer: 10, product: 1, at: now - 60, eventID: 1)
        try connection.insertInteraction(customer: 10, product: 2, at: now - 30, eventID: 2)
        try connection.insertInteraction(customer: 10, product: 3, at: now - 3 * 86_400, eventID: 3)   // outside the window
        try connection.insertUserVector(customer: 10, embedding: Self.vector(3), modelVersion: "old", at: now - 10 * 86_400)
        try connection.insertUserVector(customer: 20, embedding: Self.vector(3), modelVersion: "old", at: now - 10 * 86_400)  // no interactions left
        try connection.insertInteraction(customer: 30, product: 1, at: now - 10, eventID: 4)
        let refresh = UserRefresh(connection, model: model, window: window)
        XCTAssertEqual(try refresh.customerCount(), 3)
        var batches: [Int] = []
        let result = try refresh.refreshUsers(batchSize: 2, keepStale: false, now: { self.now }) { batches.append($0) }
        XCTAssertEqual(result.written, 2)
        XCTAssertEqual(result.removed, 1)
        XCTAssertEqual(batches, [2, 1], "customers 10, 20, then 30")
        let vectors = UserVectorRepository(connection)
        XCTAssertEqual(try vectors.vector(of: 10)?.modelVersion, model.version)
        XCTAssertEqual(try vectors.vector(of: 10)?.embedding, model.encode([[clicked(2, ago: 30), clicked(1, ago: 60)]])[0],
                       "most recent first, window only")
        XCTAssertEqual(try vectors.vector(of: 30)?.embedding, model.encode([[clicked(1, ago: 10)]])[0])
        XCTAssertNil(try vectors.vector(of: 20))
        XCTAssertEqual(try vectors.interactions(of: 10).map(\.productID), [2, 1], "the expired interaction is pruned")
    }

    func testKeepStaleKeepsVectorsOfEmptyWindows() throws {
        try connection.insertUserVector(customer: 20, embedding: Self.vector(3), modelVersion: "old", at: now - 10 * 86_400)
        let result = try UserRefresh(connection, model: model, window: window).refreshUsers(batchSize: 10, keepStale: true, now: { self.now })
        XCTAssertEqual(result.written, 0)
        XCTAssertEqual(result.removed, 0)
        XCTAssertEqual(try UserVectorRepository(connection).vector(of: 20)?.modelVersion, "old")
    }

    func testServedVectorsOfAModelWithoutResidualsAreTheNormalisedTextVectors() throws {
        try connection.execute("UPDATE products SET text_embedding = $1::vector WHERE product_id = 1",
                               [PQVector(Self.vector(1).map { $0 * 3 })])
        let refresh = UserRefresh(connection, model: model, window: window)
        let first = try refresh.publishServedVectors()
        XCTAssertEqual(first.changed, 0, "a unit text vector is served as it is; 3 × it normalises to it")
        XCTAssertEqual(first.products, productCount)
        try connection.execute("UPDATE products SET embedding = $1::vector WHERE product_id = 2", [PQVector(Self.vector(3))])
        XCTAssertEqual(try refresh.publishServedVectors().changed, 1)
        let served: [Float] = try connection.query("SELECT embedding FROM products WHERE product_id = 2")[0].decode(0)
        XCTAssertEqual(served, Self.vector(2))
    }
}
