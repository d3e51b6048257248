import Foundation
import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class StatusRepositoryTests: XCTestCase {
    func testCountsBeforeAndAfterMigration() throws {
        let db = try ScratchDatabase("status")
        defer { db.drop() }
        let c = try db.connect()
        XCTAssertEqual(try StatusRepository(c).status(),
                       StoreStatus(schemaVersion: 0, products: 0, productsWithVector: 0, events: 0, interactions: 0, users: 0))
        try Migrator(c).migrate()
        try CatalogRepository(c).upsert([ProductRecord(productID: 1, name: "a"), ProductRecord(productID: 2, name: "b")])
        let vector = PQVector([Float](repeating: 0.05, count: 384))
        try c.execute("UPDATE products SET embedding = $1 WHERE product_id = 2", [vector])
        _ = try EventImportRepository(c, windowSeconds: 86_400).append { add in
            try add(EventRecord(customerID: 7, productID: 1, eventName: "product_viewed", occurredAt: Date()))
            try add(EventRecord(customerID: 7, productID: 2, eventName: "product_viewed", occurredAt: Date(timeIntervalSince1970: 1e9)))
        }
        try c.execute("INSERT INTO user_vectors (customer_id, embedding, model_version) VALUES (7, $1, 'test')", [vector])
        XCTAssertEqual(try StatusRepository(c).status(),
                       StoreStatus(schemaVersion: Migrations.latestVersion, products: 2, productsWithVector: 1, events: 2,
                                   interactions: 1, users: 1))
    }
}
