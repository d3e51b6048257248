import Foundation
import LibPQ
import TowerConfig
import TowerModel
import TowerTextEncoder
import TowerStore
import TowerTestSupport
import TowerOfflineUseCases
import XCTest

/// `tower catalog embed` against real PostgreSQL with the MiniLM weights of `deploy/local.sh up` (TOWER_ENCODER_DIR).
final class CatalogEmbeddingTests: UseCaseTestCase {
    override var productCount: Int { 0 }

    private func encoder() throws -> MiniLMEncoder {
        let configured = try TowerSettings(TestEnvironment.source()).encoderDirectory
        return try MiniLMEncoder(directory: configured.hasPrefix("/") ? configured
                                     : TestEnvironment.packageRoot.appendingPathComponent(configured).path)
    }

    func testEmbedsChangedProductsInBatchesAndThenNothing() throws {
        for (id, name) in [(1, "Trail runner"), (2, "French press"), (3, "Desk lamp")] {
            try connection.execute("INSERT INTO products (product_id, name, merchant, price) VALUES ($1, $2, 'Acme', $3)", [id, name, Double(id) * 10])
        }
        let encoder = try encoder()
        let embedding = try CatalogEmbedding(connection, all: false)
        XCTAssertEqual(embedding.activeProducts, 3)
        XCTAssertEqual(embedding.pending.map(\.id), [1, 2, 3])
        var batches: [Int] = []
        XCTAssertEqual(try embedding.run(encoder, batchSize: 2) { batches.append($0) }, 3)
        XCTAssertEqual(batches, [2, 1])
        let stored: [Float] = try connection.query("SELECT text_embedding FROM products WHERE product_id = 2")[0].decode(0)
        let expected = encoder.embed([embedding.pending[1].text])[0]
        XCTAssertLessThan(zip(stored, expected).map { abs($0 - $1) }.max() ?? .infinity, 1e-4, "the vector of the product's text")
        XCTAssertEqual(try CatalogEmbedding(connection, all: false).pending.count, 0, "unchanged texts are not embedded again")
        XCTAssertEqual(try CatalogEmbedding(connection, all: true).pending.count, 3)
        try connection.execute("UPDATE products SET name = 'Desk lamp XL', updated_at = now() WHERE product_id = 3")
        XCTAssertEqual(try CatalogEmbedding(connection, all: false).pending.map(\.id), [3], "a changed text is embedded again")
    }
}
