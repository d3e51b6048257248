import Foundation
import LibPQ
import TowerConfig
import TowerRerank
import TowerStore
import XCTest

/// product_trending and product_neighbors computed from the real event log agree with TowerRerank's definitions.
final class NeighborTrendingTests: StoreTestCase {
    private let newest = Date(timeIntervalSince1970: 1_700_000_000)
    private let day = 86_400.0

    /// (customer, product, event name, days before the newest event), appended in log order.
    private let log: [(Int64, Int64, String, Double)] = [
        (1, 10, "product_viewed", 40), (1, 11, "product_clicked", 20), (1, 12, "product_added_to_cart", 6),
        (2, 10, "product_clicked", 8), (2, 11, "product_added_to_cart", 3), (2, 12, "product_added_to_cart", 0.5),
        (3, 11, "product_viewed", 2), (3, 13, "product_added_to_cart", 0.2), (3, 11, "product_added_to_cart", 0),
        (3, 14, "not_configured", 0),
    ]

    override func setUpWithError() throws {
        try super.setUpWithError()
        try connection.execute("""
            INSERT INTO events (customer_id, product_id, event_name, occurred_at)
            SELECT c, p, n, $4::timestamptz - d * interval '1 day'
            FROM unnest($1::bigint[], $2::bigint[], $3::text[], $5::float8[]) WITH ORDINALITY AS t(c, p, n, d, i) ORDER BY i
            """, [PQArray(log.map(\.0)), PQArray(log.map(\.1)), PQArray(log.map(\.2)), newest,
                  PQArray(log.map(\.3))])
    }

    func testTrendingMatchesTowerRerank() throws {
        XCTAssertEqual(try TrendingRepository(connection, eventTypes: settings.eventTypes).refresh(), 4)
        let weights = settings.eventTypes.weights
        let expected = Trending.rows(of: log.map { ($0.1, weights[$0.2] ?? 0, newest.timeIntervalSince1970 - $0.3 * day) },
                                     anchor: newest.timeIntervalSince1970).filter { $0.value.weight30d > 0 }
        let rows = try connection.query("SELECT product_id, weight_1d, weight_7d, weight_30d, trend_score FROM product_trending").rows
        XCTAssertEqual(rows.count, expected.count)
        for r in rows {
            let e = try XCTUnwrap(expected[try r.decode(0, as: Int64.self)])
            XCTAssertEqual(try r.decode(1, as: Float.self), e.weight1d, accuracy: 1e-5)
            XCTAssertEqual(try r.decode(2, as: Float.self), e.weight7d, accuracy: 1e-5)
            XCTAssertEqual(try r.decode(3, as: Float.self), e.weight30d, accuracy: 1e-5)
            XCTAssertEqual(try r.decode(4, as: Float.self), e.trendScore, accuracy: 1e-5)
        }
        // Product 10's only events are older than 7 days: it is in the 30-day sum alone.
        XCTAssertEqual(expected[10]?.weight7d, 0)
        XCTAssertEqual(expected[10]?.weight30d, 2)
        // A second refresh replaces, never accumulates.
        XCTAssertEqual(try TrendingRepository(connection, eventTypes: settings.eventTypes).refresh(), 4)
        XCTAssertEqual(try count("SELECT count(*) FROM product_trending"), 4)
    }

    func testNeighborsAreTheCoVisitationFunctionsOutput() throws {
        let weights = settings.eventTypes.weights
        let events = log.map { CoVisitEvent(customerID: $0.0, productID: $0.1, weight: weights[$0.2] ?? 0) }
        let threshold = CoVisitation.boughtThreshold(weights: weights)
        let repo = NeighborRepository(connection, eventTypes: settings.eventTypes)
        let written = try repo.refresh()
        var expectedRows = 0
        for kind in NeighborKind.coVisitation {
            let expected = CoVisitation.neighbors(of: events, kind: kind, boughtThreshold: threshold)
            expectedRows += expected.values.map(\.count).reduce(0, +)
            let rows = try connection.query("""
                SELECT product_id, neighbor_id, score FROM product_neighbors WHERE kind = $1
                ORDER BY product_id, score DESC, neighbor_id
                """, [kind.rawValue]).rows
            var stored: [Int64: [Neighbor]] = [:]
            for r in rows {
                stored[try r.decode(0), default: []].append(Neighbor(productID: try r.decode(1), score: try r.decode(2)))
            }
            XCTAssertEqual(stored, expected, kind.rawValue)
        }
        XCTAssertEqual(written, expectedRows)
        XCTAssertGreaterThan(written, 0)
        // Bought-together links only carted products: 10 was never carted.
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'bought' AND (product_id = 10 OR neighbor_id = 10)"), 0)
        XCTAssertGreaterThan(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'covisit' AND product_id = 10"), 0)
        XCTAssertEqual(try repo.refresh(), written, "a refresh replaces the rows")
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors"), written)
    }

    /// Kind similar (the model's item-vector neighbours) and the co-visitation kinds replace only their own rows.
    func testSimilarNeighborsAndCoVisitationReplaceOnlyTheirKind() throws {
        let repo = NeighborRepository(connection, eventTypes: settings.eventTypes)
        let coVisit = try repo.refresh()
        let similar: [Int64: [Neighbor]] = [10: [Neighbor(productID: 20, score: 0.9), Neighbor(productID: 30, score: -0.25)],
                                            20: [Neighbor(productID: 10, score: 0.9)]]
        XCTAssertEqual(try repo.write(.similar, similar), 3)
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'similar'"), 3)
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind <> 'similar'"), coVisit, "co-visitation rows stay")
        XCTAssertEqual(try repo.refresh(), coVisit)
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'similar'"), 3, "the sweep keeps the model's rows")
        XCTAssertEqual(try repo.write(.similar, [30: [Neighbor(productID: 10, score: 0.5)]]), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'similar'"), 1)
        let score: Float = try connection.query("SELECT score FROM product_neighbors WHERE kind = 'similar' AND product_id = 30")[0].decode(0)
        XCTAssertEqual(score, 0.5)
        XCTAssertEqual(try repo.write(.ease, [10: [Neighbor(productID: 20, score: 0.03)]]), 1)
        XCTAssertEqual(try repo.refresh(), coVisit)
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'ease'"), 1, "the sweep keeps the EASE rows")
        XCTAssertEqual(try repo.write(.ease, [:]), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'ease'"), 0, "an empty write removes the kind")
        XCTAssertEqual(try count("SELECT count(*) FROM product_neighbors WHERE kind = 'similar'"), 1)
    }
}
