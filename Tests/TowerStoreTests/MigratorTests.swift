import XCTest
import LibPQ
import TowerStore
import TowerTestSupport

final class MigratorTests: XCTestCase {
    func testMigrateTwiceIsIdempotentAndGrantsReadOnly() throws {
        let db = try ScratchDatabase("migrate")
        defer { db.drop() }
        let c = try db.connect()
        XCTAssertEqual(try Migrator(c).currentVersion(), 0)
        XCTAssertEqual(try Migrator(c).migrate(), Array(1...Migrations.latestVersion))
        XCTAssertEqual(try Migrator(c).migrate(), [])
        XCTAssertEqual(try Migrator(c).currentVersion(), Migrations.latestVersion)
        XCTAssertNoThrow(try Migrator(c).requireCurrent())
        let ro = try PQConnection(url: db.readOnlyURL)
        for table in ["products", "product_neighbors", "product_trending", "rerank_parameters"] {
            XCTAssertEqual(try ro.query("SELECT count(*) FROM \(table)")[0].decode(0, as: Int.self), 0, table)
        }
        XCTAssertThrowsError(try ro.execute("INSERT INTO products (product_id, name) VALUES (1, 'x')")) {
            XCTAssertEqual(($0 as? PQError)?.sqlState, .insufficientPrivilege)
        }
    }

    func testTheReadOnlyRoleReadsOnlyWhatRankingReadsEvenAfterABroaderGrant() throws {
        let db = try ScratchDatabase("rogrants")
        defer { db.drop() }
        let c = try db.connect()
        try Migrator(c).migrate()
        // An older build granted SELECT on every table; migrating again narrows it.
        try c.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO tower_ro")
        try Migrator(c).migrate()
        let ro = try PQConnection(url: db.readOnlyURL)
        for table in Migrator.readOnlyTables {
            XCTAssertEqual(try ro.query("SELECT count(*) FROM \(table)")[0].decode(0, as: Int.self), 0, table)
        }
        for table in ["events", "processed_messages", "producer_event_ids", "schema_migrations"] {
            XCTAssertThrowsError(try ro.query("SELECT count(*) FROM \(table)"), table) {
                XCTAssertEqual(($0 as? PQError)?.sqlState, .insufficientPrivilege, "\(table): \($0)")
            }
        }
    }

    func testRefusesNewerSchema() throws {
        let db = try ScratchDatabase("newer")
        defer { db.drop() }
        let c = try db.connect()
        try Migrator(c).migrate()
        try c.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')", [Migrations.latestVersion + 1])
        XCTAssertThrowsError(try Migrator(c).migrate()) {
            XCTAssertEqual($0 as? SchemaError, .newerThanKnown(database: Migrations.latestVersion + 1, known: Migrations.latestVersion))
        }
    }
}
