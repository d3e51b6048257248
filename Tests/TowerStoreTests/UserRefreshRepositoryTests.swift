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
        try connection.execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id) VALUES ($1, $2, 'product_clicked', $3, $4)
            """, [customer, product, now.addingTimeInterval(-ago), id])
    }

    private func storeVector(customer: Int64, version: String) throws {
        try UserVectorRepository(connection).store(vectors: [(customerID: customer, embedding: Self.vector(3))], modelVersion: version,
                                                   updatedAt: now.addingTimeInterval(-86_400 * 10), pruning: [], windowStart: now)
    }

    func testRefreshRecomputesRemovesStaleAndPrunes() throws {
        try interaction(customer: 10, product: 1, ago: 60, id: 1)
        try interaction(customer: 10, product: 2, ago: 30, id: 2)
        try interaction(customer: 10, product: 3, ago: 3 * 86_400, id: 3)   // outside the window
        try storeVector(customer: 10, version: "old")
        try storeVector(customer: 20, version: "old")                      // no interactions left
        try interaction(customer: 30, product: 1, ago: 10, id: 4)
        let repo = UserRefreshRepository(connection)
        XCTAssertEqual(try repo.customerCount(), 3)
        XCTAssertEqual(try repo.customers(after: nil, limit: 2), [10, 20])
        XCTAssertEqual(try repo.customers(after: 20, limit: 2), [30])

        var seen: [[Int64]] = []
        let result = try repo.refresh([30, 10, 20], now: now, window: window, modelVersion: "new", keepStale: false) { histories in
            seen = histories.map { $0.map(\.productID) }
            return histories.map { h in h[0].productVector }
        }
        XCTAssertEqual(result.written, 2)
        XCTAssertEqual(result.removed, 1)
        XCTAssertEqual(seen, [[2, 1], [1]], "ascending customers, most recent first, window only")
        let vectors = UserVectorRepository(connection)
        XCTAssertEqual(try vectors.vector(of: 10)?.modelVersion, "new")
        XCTAssertEqual(try vectors.vector(of: 10)?.embedding, Self.vector(2))
        XCTAssertNil(try vectors.vector(of: 20))
        XCTAssertEqual(try vectors.interactions(of: 10).map(\.productID), [2, 1], "the expired interaction is pruned")
    }

    func testKeepStaleKeepsVectorsOfEmptyWindows() throws {
        try storeVector(customer: 20, version: "old")
        let result = try UserRefreshRepository(connection).refresh([20], now: now, window: window, modelVersion: "new", keepStale: true) {
            XCTFail("nothing to encode")
            return $0.map { _ in [] }
        }
        XCTAssertEqual(result.written, 0)
        XCTAssertEqual(result.removed, 0)
        XCTAssertEqual(try UserVectorRepository(connection).vector(of: 20)?.modelVersion, "old")
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
