@testable import TowerEvaluation
import TowerModel
import TowerTestSupport
import XCTest

final class EvaluationTests: XCTestCase {
    func testMetricsFromRanks() {
        var m = RankingMetrics()
        m.add(rank: 1, top: [1, 2])
        m.add(rank: 3, top: [2, 3])
        m.add(rank: 15, top: [])
        m.add(rank: 100, top: [])
        XCTAssertEqual(m.recall(at: 10), 0.5)
        XCTAssertEqual(m.recall(at: 20), 0.75)
        XCTAssertEqual(m.ndcg(at: 10), (1 + 1 / log2(4.0)) / 4, accuracy: 1e-12)
        XCTAssertEqual(m.ndcg(at: 20), (1 + 1 / log2(4.0) + 1 / log2(16.0)) / 4, accuracy: 1e-12)
        XCTAssertEqual(m.mrr, (1 + 1.0 / 3 + 1.0 / 15 + 1.0 / 100) / 4, accuracy: 1e-12)
        XCTAssertEqual(m.coverage(candidates: 6), 0.5)
    }

    func testRankerBreaksTiesByIdAndSkipsInactiveProducts() {
        // Products 0…3 score 1, 2, 2, 2; product 3 is inactive.
        let ranker = CatalogRanker(dimension: 1, items: [1, 2, 2, 2], isCandidate: [true, true, true, false])
        let (ranks, top) = ranker.rank(users: [1, 1, 1, 1], targets: [0, 1, 2, 3], topK: 2)
        XCTAssertEqual(ranks, [3, 1, 2, 3], "equal scores rank by id; the inactive target is still ranked")
        XCTAssertEqual(top[0], [1, 2])
    }

    /// A tiny log where every number can be worked out by hand.
    func testProtocolOnHandWorkedLog() {
        let s: Int64 = 1_000_000
        let catalog = CatalogVectors(dimension: 2, products: [
            (id: 10, vector: [1, 0], active: true), (id: 20, vector: [0, 1], active: true),
            (id: 30, vector: [1, 0], active: true), (id: 40, vector: [0.6, 0.8], active: true),
        ])
        let events = [
            LoggedEvent(customerID: 1, productID: 20, eventName: "cart", time: 0),        // train
            LoggedEvent(customerID: 2, productID: 40, eventName: "view", time: 1 * s),    // train
            LoggedEvent(customerID: 2, productID: 40, eventName: "view", time: 2 * s),    // train
            LoggedEvent(customerID: 1, productID: 10, eventName: "click", time: 10 * s),  // test, history [20]
            LoggedEvent(customerID: 1, productID: 30, eventName: "click", time: 11 * s),  // test, history [20, 10]
            LoggedEvent(customerID: 3, productID: 40, eventName: "view", time: 12 * s),   // test, no history
        ]
        let weights: [String: Float] = ["view": 0.1, "click": 2, "cart": 5]
        let log = EventLog(events: events, catalog: catalog, eventNames: ["view", "click", "cart"], windowSeconds: 3_600)
        let evaluator = Evaluator(log: log, catalog: catalog, splitAt: 10 * s, eventWeights: weights)
        XCTAssertEqual(evaluator.testEvents, [3, 4, 5])
        XCTAssertEqual(evaluator.newItemTestEvents, [3, 4, 5])
        let result = evaluator.evaluate(tower: UserTowerModel.untrained(eventWeights: weights, dimension: 2),
                                        events: evaluator.testEvents)
        XCTAssertEqual(result.testEvents, 3)
        XCTAssertEqual(result.withoutHistory, 1)
        let byName = Dictionary(uniqueKeysWithValues: result.models.map { ($0.name, $0) })
        // Popularity: 20 → 5, 40 → 0.2, 10 and 30 → 0: order 20, 40, 10, 30. Targets 10, 30, 40 rank 3, 4, 2.
        XCTAssertEqual(byName["popularity"]!.metrics.mrr, (1.0 / 3 + 1.0 / 4 + 1.0 / 2) / 3, accuracy: 1e-12)
        // history_mean: event 3 history [20] → user (0, 1): scores 10:0, 20:1, 30:0, 40:0.8 → 10 ranks 3 (ties by id).
        // Event 4 history [20, 10] → (1, 1)/√2: 10 and 30 score 0.707, 20 too, 40 0.99 → 40, 10, 20, 30: target 30 ranks 4.
        // Event 5 has no history: popularity rank 2.
        XCTAssertEqual(byName["history_mean"]!.metrics.mrr, (1.0 / 3 + 1.0 / 4 + 1.0 / 2) / 3, accuracy: 1e-6)
        XCTAssertEqual(byName["history_mean"]!.metrics.recall(at: 2), 1.0 / 3, accuracy: 1e-12)
        // default: event 4 weights 20 (cart, 11 s old) by 5 and 10 (click, 1 s) by 2 → closer to 20 and 40 than to 30.
        XCTAssertEqual(byName["default"]!.metrics.recall(at: 3), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(byName["tower"]!.metrics.mrr, byName["default"]!.metrics.mrr, accuracy: 1e-12, "an untrained tower is the default")
    }

    func testWithoutATrainedModelOnlyTheBaselinesAreScoredAndReported() {
        let catalog = CatalogFixture.catalog([1, 2])
        let events = [
            LoggedEvent(customerID: 1, productID: 1, eventName: "view", time: 0),
            LoggedEvent(customerID: 1, productID: 2, eventName: "view", time: 5_000_000),
        ]
        let log = EventLog(events: events, catalog: catalog, eventNames: ["view"], windowSeconds: 60)
        let evaluator = Evaluator(log: log, catalog: catalog, splitAt: 5_000_000, eventWeights: ["view": 1])
        let result = evaluator.evaluate(tower: nil, events: evaluator.testEvents)
        XCTAssertEqual(result.models.map(\.name), ["popularity", "recent_popularity_7d", "recent_popularity_30d", "repeat",
                                                   "item_knn", "ease", "history_mean", "default"])
        let report = EvaluationReport(splitAt: "1970-01-01T00:00:05Z", windowSeconds: 60, towerVersion: nil, all: result, newItems: nil)
        XCTAssertTrue(report.table().contains("no trained model: baselines only"), report.table())
        XCTAssertFalse(report.json().contains("\"tower\""), report.json())
    }

    func testNewItemsOnlyExcludesRepeats() {
        let s: Int64 = 1_000_000
        let catalog = CatalogFixture.catalog([1, 2])
        let events = [
            LoggedEvent(customerID: 1, productID: 1, eventName: "view", time: 0),
            LoggedEvent(customerID: 1, productID: 1, eventName: "view", time: 5 * s),
            LoggedEvent(customerID: 1, productID: 2, eventName: "view", time: 6 * s),
        ]
        let log = EventLog(events: events, catalog: catalog, eventNames: ["view"], windowSeconds: 60)
        let evaluator = Evaluator(log: log, catalog: catalog, splitAt: 5 * s, eventWeights: ["view": 1])
        XCTAssertEqual(evaluator.testEvents, [1, 2])
        XCTAssertEqual(evaluator.newItemTestEvents, [2])
    }

    func testJSONHasTheDocumentedShape() throws {
        var m = RankingMetrics()
        m.add(rank: 2, top: [0])
        let set = EvaluationSet(testEvents: 1, withoutHistory: 0, models: ["tower", "default", "popularity", "history_mean"].map {
            ModelEvaluation(name: $0, metrics: m, withHistory: m, candidates: 4)
        })
        let report = EvaluationReport(splitAt: "2017-06-21T07:17:30Z", windowSeconds: 172_800, towerVersion: "v", all: set, newItems: nil)
        let object = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["test_events", "split_at", "window", "models", "standard_errors", "with_history",
                                           "without_history", "skipped"])
        XCTAssertEqual(object["window"] as? String, "2d")
        let errors = object["standard_errors"] as! [String: [String: Double]]
        XCTAssertEqual(Set(errors["tower"]!.keys), ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "mrr"])
        let withHistory = object["with_history"] as! [String: Any]
        XCTAssertEqual(withHistory["test_events"] as? Int, 1)
        XCTAssertEqual(Set((withHistory["models"] as! [String: Any]).keys), ["tower", "default", "popularity", "history_mean"])
        XCTAssertEqual(object["test_events"] as? Int, 1)
        let models = object["models"] as! [String: [String: Double]]
        XCTAssertEqual(Set(models.keys), ["tower", "default", "popularity", "history_mean"])
        XCTAssertEqual(Set(models["tower"]!.keys), ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "mrr", "coverage@20"])
        XCTAssertEqual(models["tower"]!["recall@10"], 1)
        XCTAssertEqual(models["tower"]!["coverage@20"], 0.25)
        let html = report.html()
        XCTAssertTrue(html.contains("<svg") && html.contains("polyline") && html.contains("history_mean"))
    }
}
