import LibPQ
import TowerConfig
import TowerStore
import TowerTestSupport
import XCTest

/// A test case with a migrated scratch database and default settings (environment overrides ignored).
class StoreTestCase: XCTestCase {
    var db: ScratchDatabase!
    var connection: PQConnection!
    var settings: TowerSettings!

    override func setUpWithError() throws {
        db = try ScratchDatabase(String(describing: type(of: self)))
        connection = try db.connect()
        try Migrator(connection).migrate()
        settings = try TowerSettings(ConfigSource(values: [:]))
    }

    override func tearDown() {
        connection = nil
        db?.drop()
    }

    func count(_ sql: String, _ params: [(any PQBindable)?] = []) throws -> Int {
        try connection.query(sql, params)[0].decode(0, as: Int.self)
    }
}
