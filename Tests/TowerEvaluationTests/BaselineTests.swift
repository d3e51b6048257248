import Foundation
@testable import TowerEvaluation
import TowerRerank
import TowerEvents
import TowerTestSupport
import XCTest

/// Every baseline on a hand-made log whose answers are worked out in the comments.
final class BaselineTests: XCTestCase {
    static let day: Int64 = 86_400_000_000
    static let hour: Int64 = 3_600_000_000

    /// Weights view 1, cart 5; split at day 40; window 7 days.
    /// Train: c1 views 10 at days 1 and 2; c5 carts 50 at days 15 and 16; c2 views 20 (day 35) and carts 30
    /// (day 35 + 1 h); c3 views 20 (day 36) and 30 (day 36 + 1 h); c4 carts 40 (day 38).
    /// Test: c2 views 20 at day 40 (history 20, 30); c6 carts 30 at day 41 (no history).
    func evaluate() -> [String: ModelEvaluation] {
        let d = Self.day, h = Self.hour
        let catalog = CatalogVectors(dimension: 2, products: [10, 20, 30, 40, 50].map { (id: Int64($0), vector: [1, Float($0)], active: true) })
        let events = [
            InteractionEvent(customerID: 1, productID: 10, eventName: "view", occurredAtMicroseconds: 1 * d),
            InteractionEvent(customerID: 1, productID: 10, eventName: "view", occurredAtMicroseconds: 2 * d),
            InteractionEvent(customerID: 5, productID: 50, eventName: "cart", occurredAtMicroseconds: 15 * d),
            InteractionEvent(customerID: 5, productID: 50, eventName: "cart", occurredAtMicroseconds: 16 * d),
            InteractionEvent(customerID: 2, productID: 20, eventName: "view", occurredAtMicroseconds: 35 * d),
            InteractionEvent(customerID: 2, productID: 30, eventName: "cart", occurredAtMicroseconds: 35 * d + h),
            InteractionEvent(customerID: 3, productID: 20, eventName: "view", occurredAtMicroseconds: 36 * d),
            InteractionEvent(customerID: 3, productID: 30, eventName: "view", occurredAtMicroseconds: 36 * d + h),
            InteractionEvent(customerID: 4, productID: 40, eventName: "cart", occurredAtMicroseconds: 38 * d),
            InteractionEvent(customerID: 2, productID: 20, eventName: "view", occurredAtMicroseconds: 40 * d),
            InteractionEvent(customerID: 6, productID: 30, eventName: "cart", occurredAtMicroseconds: 41 * d),
        ]
        let log = EventLog(events: events, catalog: catalog, eventNames: ["view", "cart"], windowSeconds: 7 * 86_400)
        let evaluator = Evaluator(log: log, catalog: catalog, splitAt: 40 * d, eventWeights: ["view": 1, "cart": 5])
        let set = evaluator.evaluate(tower: nil, events: evaluator.testEvents)
        XCTAssertEqual(set.withoutHistory, 1)
        return Dictionary(uniqueKeysWithValues: set.models.map { ($0.name, $0) })
    }

    /// Reciprocal ranks of the two test events.
    func assertRanks(_ m: ModelEvaluation?, _ first: Int, _ second: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(m?.metrics.mrr ?? -1, (1 / Double(first) + 1 / Double(second)) / 2, accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(m?.withHistory.mrr ?? -1, 1 / Double(first), accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(m?.withoutHistory.mrr ?? -1, 1 / Double(second), accuracy: 1e-9, file: file, line: line)
    }

    func testPopularityWindows() {
        let m = evaluate()
        // All train events: 50 → 10, 30 → 6, 40 → 5, 10 → 2, 20 → 2: order 50, 30, 40, 10, 20.
        assertRanks(m["popularity"], 5, 2)
        // Last 7 days (from day 33): 30 → 6, 40 → 5, 20 → 2, then 10, 50 at 0: order 30, 40, 20, 10, 50.
        assertRanks(m["recent_popularity_7d"], 3, 1)
        // Last 30 days (from day 10): 50 → 10, 30 → 6, 40 → 5, 20 → 2, 10 → 0.
        assertRanks(m["recent_popularity_30d"], 4, 2)
    }

    func testRepeatAndItemKNN() {
        let m = evaluate()
        // repeat: 30 (cart, 5 × 2^−(5 d − 1 h)/1 d) before 20 (view, 1 × 2^−5), then the 30-day order: 30, 20, 50, 40, 10.
        // No history: the 30-day order, 30 ranks 2.
        assertRanks(m["repeat"], 2, 2)
        // item_knn: cosine(20, 30) over customer columns (c2: 1, 5; c3: 1, 1) = 6 / √52. 20 gets 5·d30·0.83 from
        // 30, 30 gets 1·d20·0.83 from 20; 30 is the more recent touch, so 20 ranks first.
        assertRanks(m["item_knn"], 1, 2)
    }

    func testEASEClosedForm() throws {
        // X: customer 1 {A, B}, customer 2 {A}; λ = 1: G + λI = [[3, 1], [1, 2]], P = [[2, −1], [−1, 3]] / 5,
        // B_AB = −P_AB / P_BB = 1/3, B_BA = −P_BA / P_AA = 1/2, diagonal 0.
        let catalog = CatalogVectors(dimension: 1, products: [(id: 1, vector: [1], active: true), (id: 2, vector: [1], active: true)])
        let log = EventLog(events: [
            InteractionEvent(customerID: 1, productID: 1, eventName: "view", occurredAtMicroseconds: 0),
            InteractionEvent(customerID: 1, productID: 2, eventName: "view", occurredAtMicroseconds: 1),
            InteractionEvent(customerID: 2, productID: 1, eventName: "view", occurredAtMicroseconds: 2),
        ], catalog: catalog, eventNames: ["view"], windowSeconds: 60)
        let ease = try XCTUnwrap(EASE<Int32>(log: log, splitAt: 10, lambda: 1))
        var row = [Float](repeating: 9, count: 2)
        ease.scores(history: [0], into: &row)
        XCTAssertEqual(row[0], 0, accuracy: 1e-6)
        XCTAssertEqual(row[1], 1.0 / 3, accuracy: 1e-6)
        ease.scores(history: [1], into: &row)
        XCTAssertEqual(row[0], 0.5, accuracy: 1e-6)
        // Under 20,000 products EASE is scored; without history it takes the served fallback (30 ranks 2).
        XCTAssertEqual(evaluate()["ease"]?.withoutHistory.mrr ?? -1, 0.5, accuracy: 1e-9)
    }

    /// Two products touched together by k customers (and by no one apart): G + λI = [[k+λ, k], [k, k+λ]], so
    /// B_12 = B_21 = k / (k+λ). Products 1, 2 by three customers (3/4 at λ = 1), 3, 4 by two (2/3); no weight
    /// links the two pairs. The product limit keeps the products most customers touched.
    func testEASENeighborsKnownAnswer() {
        let events = (1...3).flatMap { c in [1, 2].map { CoVisitEvent(customerID: Int64(c), productID: $0, weight: 1) } }
            + (4...5).flatMap { c in [3, 4].map { CoVisitEvent(customerID: Int64(c), productID: $0, weight: 5) } }
        let n = EASENeighbors.neighbors(of: events, lambda: 1)
        XCTAssertEqual(n.keys.sorted(), [1, 2, 3, 4])
        XCTAssertEqual(n[1]?.map(\.productID), [2])
        XCTAssertEqual(n[1]?[0].score ?? 0, 0.75, accuracy: 1e-5)
        XCTAssertEqual(n[2]?[0].score ?? 0, 0.75, accuracy: 1e-5)
        XCTAssertEqual(n[3]?.map(\.productID), [4])
        XCTAssertEqual(n[4]?[0].score ?? 0, 2.0 / 3, accuracy: 1e-5)
        XCTAssertEqual(EASENeighbors.neighbors(of: events, lambda: 1, maxProducts: 2).keys.sorted(), [1, 2])
        XCTAssertEqual(EASENeighbors.neighbors(of: events, limit: 0), [:])
        // A chain 1–2–3: 1 and 3 are never together and 2 explains both, so EASE gives 3 a negative weight from 1
        // (not a neighbour) while 2 keeps both, best first.
        let chain = (1...3).flatMap { c in [1, 2].map { CoVisitEvent(customerID: Int64(c), productID: $0, weight: 1) } }
            + (4...5).flatMap { c in [2, 3].map { CoVisitEvent(customerID: Int64(c), productID: $0, weight: 1) } }
        let m = EASENeighbors.neighbors(of: chain, lambda: 1)
        XCTAssertEqual(m[1]?.map(\.productID), [2])
        XCTAssertEqual(m[2]?.map(\.productID), [1, 3])
    }

    func testEASEIsSkippedAboveTheProductLimit() {
        let catalog = CatalogFixture.catalog([1, 2, 3])
        let log = EventLog(events: (1...3).map { InteractionEvent(customerID: 1, productID: Int64($0), eventName: "view", occurredAtMicroseconds: Int64($0)) },
                           catalog: catalog, eventNames: ["view"], windowSeconds: 60)
        var evaluator = Evaluator(log: log, catalog: catalog, splitAt: 3, eventWeights: ["view": 1])
        evaluator.easeMaxProducts = 1
        let set = evaluator.evaluate(tower: nil, events: evaluator.testEvents)
        XCTAssertFalse(set.models.contains { $0.name == "ease" })
        XCTAssertEqual(set.skipped.map(\.name), ["ease"])
        let report = EvaluationReport(splitAt: "x", windowSeconds: 60, towerVersion: nil, all: set, newItems: nil)
        XCTAssertTrue(report.table().contains("ease skipped: 2 products"), report.table())
    }

    func testStandardErrorIsClusteredByCustomer() {
        // Recall@10 values: customer 1 → 1, 0; customer 2 → 1. Mean 2/3; cluster sums of deviations −1/3, 1/3;
        // √(2/(2−1) · 2/9) / 3 = 2/9.
        var m = RankingMetrics()
        m.add(rank: 1, cluster: 1)
        m.add(rank: 100, cluster: 1)
        m.add(rank: 1, cluster: 2)
        XCTAssertEqual(m.standardError { $0 <= 10 ? 1 : 0 }, 2.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(m.standardErrors.map(\.key), ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "mrr"])
    }

    /// The served fallback breaks popularity ties as the ranking library does: newer `created_at` first, then id.
    /// Products 1 (created day 0), 2 (day 5), 3 (day 9); c1 viewed 1 on day 1, so 1 leads and 2, 3 tie at 0:
    /// served order 1, 3, 2 (by id it would be 1, 2, 3). Test: c2 views 2, c3 views 3, both without history.
    func testServedFallbackTiesFallToTheNewerProduct() {
        let d = Self.day
        let created: [Int64: Double] = [1: 0, 2: 5 * 86_400, 3: 9 * 86_400]
        let catalog = CatalogVectors(dimension: 2, products: [1, 2, 3].map { (id: Int64($0), vector: [1, Float($0)], active: true) },
                                     attributes: created.mapValues { ProductAttributes(createdAt: $0) })
        let events = [InteractionEvent(customerID: 1, productID: 1, eventName: "view", occurredAtMicroseconds: 1 * d),
                      InteractionEvent(customerID: 2, productID: 2, eventName: "view", occurredAtMicroseconds: 20 * d),
                      InteractionEvent(customerID: 3, productID: 3, eventName: "view", occurredAtMicroseconds: 21 * d)]
        let log = EventLog(events: events, catalog: catalog, eventNames: ["view"], windowSeconds: 7 * 86_400)
        let evaluator = Evaluator(log: log, catalog: catalog, splitAt: 10 * d, eventWeights: ["view": 1])
        let m = Dictionary(uniqueKeysWithValues: evaluator.evaluate(tower: nil, events: evaluator.testEvents).models.map { ($0.name, $0) })
        for name in ["default", "history_mean", "ease"] {
            XCTAssertEqual(m[name]?.withoutHistory.mrr ?? -1, (1.0 / 3 + 1.0 / 2) / 2, accuracy: 1e-9, name)
        }
        // Offline-only baselines keep the protocol's id tie-break: recent_popularity_30d orders 1, 2, 3.
        XCTAssertEqual(m["recent_popularity_30d"]?.metrics.mrr ?? -1, (1.0 / 2 + 1.0 / 3) / 2, accuracy: 1e-9)
    }

    func testCandidateRecallCountsSourcesAndOnlySources() {
        var r = CandidateRecall()
        r.add(target: 5, signals: [ProductSignals(productID: 5, cosine: 0, sources: [.similar, .interest]),
                                   ProductSignals(productID: 6, cosine: 0, sources: .popular)])
        r.add(target: 7, signals: [ProductSignals(productID: 7, cosine: 0, sources: .interest)])
        r.add(target: 8, signals: [ProductSignals(productID: 9, cosine: 0, sources: .repeat)])
        let s = Dictionary(uniqueKeysWithValues: r.summary.map { ($0.key, $0.value) })
        XCTAssertEqual(s["in_candidates"]!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s["mean_candidates"]!, 4.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s["interest"]!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s["only_interest"]!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s["similar"]!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s["only_similar"], 0)
        XCTAssertEqual(s["repeat"], 0)
    }

    /// Item-vector neighbours: cosine descending, then id; the product itself and inactive products left out.
    func testItemNeighborsAreTheNearestActiveProducts() {
        // Unit vectors at angles 0°, 10°, 20°, 90° and (inactive) 4°.
        let angles: [(Int64, Double, Bool)] = [(1, 0, true), (2, 10, true), (3, 20, true), (4, 90, true), (5, 4, false)]
        let catalog = CatalogVectors(dimension: 2, products: angles.map {
            (id: $0.0, vector: [Float(cos($0.1 * .pi / 180)), Float(sin($0.1 * .pi / 180))], active: $0.2)
        })
        let ranker = CatalogRanker(dimension: 2, items: catalog.vectors, isCandidate: catalog.active)
        let n = ItemNeighbors.nearest(ranker, productIDs: catalog.productIDs, limit: 2)
        XCTAssertEqual(n[1]?.map(\.productID), [2, 3])
        XCTAssertEqual(n[1]?[0].score ?? 0, Float(cos(10 * Double.pi / 180)), accuracy: 1e-6)
        XCTAssertEqual(n[4]?.map(\.productID), [3, 2])
        XCTAssertEqual(n[5]?.map(\.productID), [1, 2], "an inactive product has neighbours but is nobody's")
        XCTAssertEqual(ItemNeighbors.nearest(ranker, productIDs: catalog.productIDs, limit: 10)[1]?.map(\.productID), [2, 3, 4])
        let some = ItemNeighbors.nearest(ranker, productIDs: catalog.productIDs, rows: [3, 0], limit: 2)
        XCTAssertEqual(Set(some.keys), [4, 1], "only the rows asked for")
        XCTAssertEqual(some[4]?.map(\.productID), n[4]?.map(\.productID))
        XCTAssertEqual(some[1]?.map(\.productID), n[1]?.map(\.productID))
    }
}
