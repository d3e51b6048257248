import Foundation
import LibPQ
import TowerConfig
import TowerStore
import XCTest

final class PopularityTests: StoreTestCase {
    private let newest = Date(timeIntervalSince1970: 1_700_000_000)
    private let day = 86_400.0

    private func append(_ events: [(Int64, String, Double)]) throws {
        _ = try EventImportRepository(connection, windowSeconds: settings.windowSeconds).append { add in
            for (product, name, daysBeforeNewest) in events {
                try add(EventRecord(customerID: 1, productID: product, eventName: name,
                                    occurredAt: newest.addingTimeInterval(-daysBeforeNewest * day)))
            }
        }
    }

    private func popularity() throws -> [Int64: Double] {
        Dictionary(uniqueKeysWithValues: try connection.query("SELECT product_id, popularity FROM products").rows.map {
            (try $0.decode(0, as: Int64.self), try $0.decode(1, as: Double.self))
        })
    }

    func testWeightedCountOverThePeriodBeforeTheNewestEvent() throws {
        try CatalogRepository(connection).upsert([
            ProductRecord(productID: 1, name: "clicked twice, carted long ago"),
            ProductRecord(productID: 2, name: "viewed 29 days before the newest event"),
            ProductRecord(productID: 3, name: "no events", popularity: 5),
            ProductRecord(productID: 4, name: "fixed", popularity: 99),
            ProductRecord(productID: 5, name: "exactly one period before"),
        ])
        try CatalogRepository(connection).upsert([ProductRecord(productID: 3, name: "no events")]) // un-fixes 3
        try append([(1, "product_clicked", 0), (1, "product_clicked", 2), (1, "product_added_to_cart", 40),
                    (2, "product_viewed", 29), (4, "product_added_to_cart", 1), (5, "product_added_to_cart", 30)])
        // An event type that is no longer configured counts nothing.
        try connection.execute("INSERT INTO events (customer_id, product_id, event_name, occurred_at) VALUES (1, 2, 'product_purchased', $1)",
                               [newest.addingTimeInterval(-day)])

        let repo = PopularityRepository(connection, eventTypes: settings.eventTypes)
        XCTAssertEqual(try repo.refresh(), 3)
        let p = try popularity()
        XCTAssertEqual(p[1]!, 4, accuracy: 1e-9)
        XCTAssertEqual(p[2]!, 0.1, accuracy: 1e-9)
        XCTAssertEqual(p[3], 0)
        XCTAssertEqual(p[4], 99, "fixed popularity is left alone")
        XCTAssertEqual(p[5], 0, "the period's start is exclusive")
        XCTAssertEqual(try repo.refresh(), 0, "unchanged values are not rewritten")

        XCTAssertEqual(try PopularityRepository(connection, eventTypes: settings.eventTypes, periodSeconds: 60 * day).refresh(), 2)
        XCTAssertEqual(try popularity()[1]!, 9, accuracy: 1e-9)
        XCTAssertEqual(try popularity()[5]!, 5, accuracy: 1e-9)
    }

    func testCustomWeightsAndAnEmptyLog() throws {
        try CatalogRepository(connection).upsert([ProductRecord(productID: 1, name: "a")])
        let repo = PopularityRepository(connection, eventTypes: try .parse("product_viewed=1,product_clicked=10"))
        XCTAssertEqual(try repo.refresh(), 0, "no events: every popularity stays 0")
        try append([(1, "product_viewed", 0), (1, "product_clicked", 0)])
        XCTAssertEqual(try repo.refresh(), 1)
        XCTAssertEqual(try popularity()[1], 11)
    }
}
