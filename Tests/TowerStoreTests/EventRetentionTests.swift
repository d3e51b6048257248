import XCTest
import LibPQ
import TowerConfig
import TowerStore
import TowerTestSupport

final class EventRetentionTests: XCTestCase {
    func testPrunesOnlyEventsOlderThanRetention() throws {
        let db = try ScratchDatabase("retention")
        defer { db.drop() }
        let c = try db.connect()
        try Migrator(c).migrate()
        for days in [1, 89, 91, 400] {
            try c.execute("""
                INSERT INTO events (customer_id, product_id, event_name, occurred_at)
                VALUES (1, $1, 'product_clicked', now() - make_interval(days => $2))
                """, [days, Int32(days)])
        }
        XCTAssertEqual(try EventRetentionRepository(c, retentionSeconds: 90 * 86_400).prune(chunk: 1), 2)
        let left = try c.query("SELECT product_id FROM events ORDER BY product_id").rows.map { try $0.decode(0, as: Int.self) }
        XCTAssertEqual(left, [1, 89])
    }

    func testRetentionSetting() throws {
        XCTAssertEqual(try TowerSettings(ConfigSource(values: [:])).eventRetentionSeconds, 90 * 86_400)
        XCTAssertNil(try TowerSettings(ConfigSource(values: ["TOWER_EVENT_RETENTION": "off"])).eventRetentionSeconds)
        XCTAssertEqual(try TowerSettings(ConfigSource(values: ["TOWER_EVENT_RETENTION": "7d"])).eventRetentionSeconds, 7 * 86_400)
    }
}
