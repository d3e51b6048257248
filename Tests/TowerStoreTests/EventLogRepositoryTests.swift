import Foundation
import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class EventLogRepositoryTests: XCTestCase {
    private var db: ScratchDatabase!
    private var connection: PQConnection!

    override func setUpWithError() throws {
        db = try ScratchDatabase(name)
        connection = try db.connect()
        try Migrator(connection).migrate(readOnlyRole: nil)
    }

    override func tearDown() {
        connection = nil
        db?.drop()
    }

    /// Inserts an event at `micros` µs after the epoch; returns its event_id.
    @discardableResult
    private func insert(customer: Int64, product: Int64, micros: Int64, name: String = "product_viewed") throws -> Int64 {
        try connection.query("""
            INSERT INTO events (customer_id, product_id, event_name, occurred_at)
            VALUES ($1, $2, $3, timestamptz 'epoch' + $4::bigint * interval '1 microsecond') RETURNING event_id
            """, [customer, product, name, micros])[0].decode(0)
    }

    func testEventsComeInLogOrderAcrossPagesWithMicroseconds() throws {
        let base: Int64 = 1_700_000_000_000_000
        let late = try insert(customer: 1, product: 10, micros: base + 2_000_001)
        let a = try insert(customer: 2, product: 11, micros: base + 1)
        let b = try insert(customer: 1, product: 12, micros: base + 1)
        let first = try insert(customer: 3, product: 13, micros: base)
        let repo = EventLogRepository(connection)
        for pageSize in [1, 2, 10] {
            let events = try repo.events(pageSize: pageSize)
            XCTAssertEqual(events.map(\.eventID), [first, a, b, late], "page size \(pageSize)")
            XCTAssertEqual(events.map(\.occurredAt), [base, base + 1, base + 1, base + 2_000_001])
        }
        XCTAssertEqual(try repo.events(before: base + 1).map(\.eventID), [first], "before is strict")
        XCTAssertEqual(try repo.events(before: base + 1, pageSize: 1).map(\.eventID), [first])
        XCTAssertEqual(try repo.events()[1].productID, 11)
        XCTAssertEqual(try repo.events()[1].eventName, "product_viewed")
    }

    func testSplitTimeIsTheEventAtNinetyPercentInLogOrder() throws {
        let repo = EventLogRepository(connection)
        XCTAssertNil(try repo.splitTime(fraction: 0.9))
        for i in 0..<10 { try insert(customer: 1, product: 1, micros: Int64(100 - i) * 1_000_000) }
        // Times 91…100 s: position ⌊0.9 · 10⌋ = 9 is the latest, 100 s; ⌊0.5 · 10⌋ = 5 is 96 s.
        XCTAssertEqual(try repo.splitTime(fraction: 0.9), 100_000_000)
        XCTAssertEqual(try repo.splitTime(fraction: 0.5), 96_000_000)
        XCTAssertEqual(try repo.count(), 10)
    }

    func testProductVectorsReadsTextAndServedVectorsPageByPage() throws {
        let text = [Float](repeating: 0.5, count: 384), served = [Float](repeating: -0.25, count: 384)
        try connection.execute("INSERT INTO products (product_id, name, text_embedding, embedding, active) VALUES (3, 'c', $1::vector, $2::vector, false)",
                               [PQVector(text), PQVector(served)])
        try connection.execute("INSERT INTO products (product_id, name) VALUES (1, 'a'), (2, 'b')")
        let products = try EventLogRepository(connection).productVectors(pageSize: 2)
        XCTAssertEqual(products.map(\.productID), [1, 2, 3])
        XCTAssertNil(products[0].text)
        XCTAssertEqual(products[2].text, text)
        XCTAssertEqual(products[2].served, served)
        XCTAssertEqual(products.map(\.active), [true, true, false])
    }
}
