import Foundation
import LibPQ
import TowerConfig
import TowerStore
import TowerTestSupport
import XCTest

/// A migrated scratch database per test, products 1…`productCount` with unit vectors (`vector(_:)`).
class UseCaseTestCase: XCTestCase {
    var db: ScratchDatabase!
    var connection: PQConnection!
    let now = Date(timeIntervalSince1970: 1_750_000_000)
    let window: TimeInterval = 2 * 86_400
    let eventTypes = EventTypes.default
    var productCount: Int { 3 }

    override func setUpWithError() throws {
        db = try ScratchDatabase(String(describing: type(of: self)))
        connection = try db.connect()
        try Migrator(connection).migrate()
        for id in 0..<productCount {
            try connection.execute("INSERT INTO products (product_id, name, text_embedding, embedding) VALUES ($1, 'p', $2::vector, $2::vector)",
                                   [id + 1, PQVector(Self.vector(id + 1))])
        }
    }

    override func tearDown() {
        connection = nil
        db?.drop()
    }

    /// Product `id`'s vector: the `id`-th unit vector.
    static func vector(_ id: Int) -> [Float] { (0..<UserVectorRepository.dimension).map { $0 == id ? 1 : 0 } }

    func count(_ table: String) throws -> Int {
        try connection.query("SELECT count(*) FROM \(table)")[0].decode(0, as: Int.self)
    }
}
