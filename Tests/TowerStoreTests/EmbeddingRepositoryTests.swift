import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class EmbeddingRepositoryTests: XCTestCase {
    private func database() throws -> (ScratchDatabase, PQConnection) {
        let db = try ScratchDatabase("embedding")
        addTeardownBlock { db.drop() }
        let c = try db.connect()
        try Migrator(c).migrate()
        try c.execute("""
            INSERT INTO products (product_id, name, merchant, category_path, color, price, price_tier, price_tier_fixed, active)
            VALUES (1, 'Mug', 'Bodum', '{Kitchen,Cups}', 'Red', 12.5, NULL, false, true),
                   (2, 'Lamp', NULL, '{}', NULL, NULL, 'luxury', true, true),
                   (3, 'Gone', NULL, '{}', NULL, NULL, NULL, false, false),
                   (4, 'Chair', NULL, '{Home}', NULL, 80, 'budget', false, true)
            """)
        return (db, c)
    }

    private func vector(_ seed: Float) -> [Float] { (0..<384).map { Float($0 % 7) * seed / 100 } }

    func testReadsActiveProductsInPagesWithoutHashUntilEmbedded() throws {
        let (_, c) = try database()
        let repo = EmbeddingRepository(c)
        let all = try repo.allActiveProducts(pageSize: 1)
        XCTAssertEqual(all.map(\.productID), [1, 2, 4])
        XCTAssertEqual(all[0].categoryPath, ["Kitchen", "Cups"])
        XCTAssertEqual(all[0].merchant, "Bodum")
        XCTAssertEqual(all[0].price, 12.5)
        XCTAssertEqual(all[1].priceTier, "luxury")
        XCTAssertTrue(all[1].priceTierFixed)
        XCTAssertNil(all[0].textHash)
        XCTAssertEqual(try repo.activeProducts(after: 1, limit: 1).map(\.productID), [2])
    }

    func testWriteStoresBothVectorsHashAndComputedTierButKeepsFixedTier() throws {
        let (_, c) = try database()
        let repo = EmbeddingRepository(c)
        let products = try repo.allActiveProducts()
        let written = try repo.write(products.map {
            EmbeddingRepository.Update(productID: $0.productID, vector: vector(Float($0.productID)), textHash: "h\($0.productID)",
                                       priceTier: "premium", version: $0.version)
        })
        XCTAssertEqual(written, 3)
        let row = try c.query("SELECT text_embedding, embedding, text_hash, price_tier FROM products WHERE product_id = 1")[0]
        XCTAssertEqual(try row.decode(0, as: [Float].self), vector(1))
        XCTAssertEqual(try row.decode(1, as: [Float].self), vector(1))
        XCTAssertEqual(try row.decode(2, as: String.self), "h1")
        XCTAssertEqual(try row.decode(3, as: String.self), "premium")
        XCTAssertEqual(try c.query("SELECT price_tier FROM products WHERE product_id = 2")[0].decode(0, as: String.self), "luxury")
        XCTAssertEqual(try repo.allActiveProducts().map(\.textHash), ["h1", "h2", "h4"])
    }

    func testWriteSkipsProductsChangedOrDeactivatedSinceRead() throws {
        let (_, c) = try database()
        let repo = EmbeddingRepository(c)
        let products = try repo.allActiveProducts()
        try c.execute("UPDATE products SET name = 'Big mug', updated_at = updated_at + interval '1 microsecond' WHERE product_id = 1")
        try c.execute("UPDATE products SET active = false WHERE product_id = 4")
        let written = try repo.write(products.map {
            EmbeddingRepository.Update(productID: $0.productID, vector: vector(1), textHash: "h", priceTier: nil, version: $0.version)
        })
        XCTAssertEqual(written, 1)
        XCTAssertEqual(try c.query("SELECT product_id FROM products WHERE text_hash IS NOT NULL").rows.map { try $0.decode(0, as: Int64.self) }, [2])
    }

    func testAFailingBatchWritesNothing() throws {
        let (_, c) = try database()
        let repo = EmbeddingRepository(c)
        let products = try repo.allActiveProducts()
        // The second vector has the wrong dimension: the whole batch rolls back.
        XCTAssertThrowsError(try repo.write([
            EmbeddingRepository.Update(productID: 1, vector: vector(1), textHash: "h", priceTier: nil, version: products[0].version),
            EmbeddingRepository.Update(productID: 2, vector: [1, 2, 3], textHash: "h", priceTier: nil, version: products[1].version),
        ]))
        XCTAssertEqual(try c.query("SELECT count(*) FROM products WHERE text_hash IS NOT NULL")[0].decode(0, as: Int.self), 0)
    }
}
