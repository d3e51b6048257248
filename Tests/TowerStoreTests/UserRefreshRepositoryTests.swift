import Foundation
import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class UserRefreshRepositoryTests: StoreTestCase {
    private let now = Date(timeIntervalSince1970: 1_750_000_000)
    private let window: TimeInterval = 2 * 86_400

    override func setUpWithError() throws {
        try super.setUpWithError()
        for id in 1...3 {
            try connection.execute("INSERT INTO products (product_id, name, text_embedding, embedding) VALUES ($1, 'p', $2::vector, $2::vector)",
                                   [id, PQVector(Self.vector(id))])
        }
    }

    static func vector(_ id: Int) -> [Float] { (0..<384).map { $0 == id ? 1 : 0 } }

    private func interaction(customer: Int64, product: Int64, ago: TimeInterval, id: Int64) throws {
        try connection.insertInteraction(customer: customer, product: product, at: now.addingTimeInterval(-ago), eventID: id)
    }

    private func storeVector(customer: Int64, version: String) throws {
        try connection.insertUserVector(customer: customer, embedding: Self.vector(3), modelVersion: version, at: now.addingTimeInterval(-86_400 * 10))
    }

    func testCustomersAreThoseWithAVectorOrInteractionsInIDOrder() throws {
        try interaction(customer: 10, product: 1, ago: 60, id: 1)
        try storeVector(customer: 10, version: "old")
        try storeVector(customer: 20, version: "old")
        try interaction(customer: 30, product: 1, ago: 10, id: 4)
        let repo = UserRefreshRepository(connection)
        XCTAssertEqual(try repo.customerCount(), 3)
        XCTAssertEqual(try repo.customers(after: nil, limit: 2), [10, 20])
        XCTAssertEqual(try repo.customers(after: 20, limit: 2), [30])
    }

    func testRemoveVectorsDeletesOnlyTheGivenCustomers() throws {
        try storeVector(customer: 10, version: "old")
        try storeVector(customer: 20, version: "old")
        let repo = UserRefreshRepository(connection)
        XCTAssertEqual(try repo.removeVectors(of: [20, 30]), 1)
        XCTAssertEqual(try repo.removeVectors(of: []), 0)
        XCTAssertNotNil(try UserVectorRepository(connection).vector(of: 10))
        XCTAssertNil(try UserVectorRepository(connection).vector(of: 20))
    }

    func testPublishServedVectorsRewritesOnlyChangedRows() throws {
        let repo = UserRefreshRepository(connection)
        let changed = Self.vector(5)
        XCTAssertEqual(try repo.publishServedVectors([(productID: 1, vector: changed), (productID: 2, vector: Self.vector(2))]), 1)
        XCTAssertEqual(try repo.publishServedVectors([(productID: 1, vector: changed)]), 0)
        let stored: [Float] = try connection.query("SELECT embedding FROM products WHERE product_id = 1")[0].decode(0)
        XCTAssertEqual(stored, changed)
        let text: [Float] = try connection.query("SELECT text_embedding FROM products WHERE product_id = 1")[0].decode(0)
        XCTAssertEqual(text, Self.vector(1), "text vectors are untouched")
    }
}
