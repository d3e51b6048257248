import Foundation
import TowerEvaluation
import TowerMath
import TowerModel
import TowerRerank
import TowerTestSupport
@testable import TowerTraining
import XCTest
import TowerEvents
@testable import TowerModel

final class RerankTrainingTests: XCTestCase {
    func batch(rows: Int, features f: Int, seed: UInt64) -> RerankBatch {
        var rng = SplitMix64(seed: seed)
        let z = Matrix(rows: rows, cols: f, data: (0..<(rows * f)).map { _ in rng.nextGaussian() })
        return RerankBatch(z: z, lists: [0..<3, 3..<7, 7..<rows])
    }

    /// Every component of the hand-written gradient against central finite differences (Double check of Float code).
    func testGradientMatchesFiniteDifferences() {
        for hidden in [0, 3] {
            let f = 4
            let loss = RerankLoss(features: f, hidden: hidden, l2: 0.01)
            let b = batch(rows: 10, features: f, seed: 3)
            var rng = SplitMix64(seed: 9)
            let theta = (0..<loss.count).map { _ in rng.nextGaussian() * 0.5 }
            let (_, gradient) = loss.lossAndGradient(theta, b)
            let eps: Float = 1e-2
            for i in 0..<loss.count {
                var plus = theta, minus = theta
                plus[i] += eps
                minus[i] -= eps
                let numeric = (loss.lossAndGradient(plus, b).loss - loss.lossAndGradient(minus, b).loss) / (2 * eps)
                XCTAssertEqual(gradient[i], numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "hidden \(hidden), θ[\(i)]")
            }
        }
    }

    /// Training's scores are the serving scorer's (`RerankParameters.score` on raw features).
    func testTrainingScoresEqualTheScorer() {
        let f = RerankFeatures.count, hidden = 2
        let loss = RerankLoss(features: f, hidden: hidden, l2: 0)
        var rng = SplitMix64(seed: 5)
        let raw = (0..<(4 * f)).map { _ in rng.nextGaussian() }
        let mean = (0..<f).map { _ in rng.nextGaussian() }, scale = (0..<f).map { _ in 0.5 + rng.nextUnit() }
        let z = Matrix(rows: 4, cols: f, data: raw.enumerated().map { ($1 - mean[$0 % f]) / scale[$0 % f] })
        let theta = (0..<loss.count).map { _ in rng.nextGaussian() }
        let p = loss.parameters(theta, mean: mean, scale: scale, version: "t", candidates: CandidateSettings())
        XCTAssertNoThrow(try p.validate())
        for (a, b) in zip(loss.scores(theta, z).scores, p.scores(raw)) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    /// A log where customers always re-take what they took last: the re-ranker must learn that repeats matter.
    static func repeatLog(customers: Int, extraAfter: Int64? = nil) -> (EventLog, CatalogVectors) {
        let catalog = CatalogFixture.catalog(Array(1...40))
        var rng = SplitMix64(seed: 1)
        var events: [InteractionEvent] = []
        var t: Int64 = 0
        for round in 0..<6 {
            for c in 0..<customers {
                t += 60_000_000
                let product = Int64(1 + (c * 7 + (round % 2) * 3) % 40)
                events.append(InteractionEvent(customerID: Int64(c), productID: product, eventName: "view", occurredAtMicroseconds: t))
                if rng.nextIndex(3) == 0 {
                    events.append(InteractionEvent(customerID: Int64(c), productID: Int64(1 + rng.nextIndex(40)), eventName: "view", occurredAtMicroseconds: t + 1))
                }
            }
        }
        if let after = extraAfter {
            for c in 0..<customers {
                events.append(InteractionEvent(customerID: Int64(c), productID: Int64(1 + (c * 13) % 40), eventName: "view",
                                          occurredAtMicroseconds: after + Int64(c)))
            }
        }
        return (EventLog(events: events, catalog: catalog, eventNames: ["view"], windowSeconds: 86_400), catalog)
    }

    func options() -> RerankTrainingOptions {
        var o = RerankTrainingOptions()
        o.sampleFraction = 0.5
        o.epochs = 20
        o.hidden = 2
        o.batchSize = 16
        return o
    }

    func testLearnsRepeatAndIsDeterministic() throws {
        let (log, catalog) = Self.repeatLog(customers: 60)
        let tower = UserTowerModel.untrained(eventWeights: ["view": 1], dimension: catalog.dimension)
        let until = Int64.max
        let a = try RerankTrainer.train(log: log, catalog: catalog, tower: tower, eventWeights: ["view": 1], until: until,
                                        options: options(), now: Date(timeIntervalSince1970: 0))
        let b = try RerankTrainer.train(log: log, catalog: catalog, tower: tower, eventWeights: ["view": 1], until: until,
                                        options: options(), now: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(a.parameters, b.parameters, "same data and seed give the same re-ranker")
        XCTAssertGreaterThan(a.bestEpoch, 0)
        // Product ages are unknown in this log: their weights are zero, so ages known online change nothing.
        let age = RerankFeatures.names.firstIndex(of: "age_days")!, f = RerankFeatures.count
        XCTAssertEqual(a.parameters.linear[age], 0)
        XCTAssertEqual((0..<2).map { a.parameters.hiddenWeights[$0 * f + age] }, [0, 0])
        XCTAssertEqual(Self.preferred(a.parameters), 5, "a shop whose customers re-take products ranks their history first")
    }

    /// Of two candidates alike but for the customer's history (5 touched 10 minutes ago, 1 never; in these
    /// 40-product catalogs every candidate is also a per-interest neighbour), the one `parameters` rank first.
    static func preferred(_ parameters: RerankParameters) -> Int64? {
        let context = RerankContext(history: [HistoryItem(productID: 5, weight: 1, ageSeconds: 600),
                                              HistoryItem(productID: 9, weight: 1, ageSeconds: 60)], covisit: [:], bought: [:])
        return Reranker.order([ProductSignals(productID: 1, cosine: 0.5, sources: [.similar, .interest]),
                               ProductSignals(productID: 5, cosine: 0.5, sources: [.similar, .repeat, .interest])],
                              context: context, parameters: parameters).first
    }

    /// The opposite shop: customers never re-take a product (each round a new one). The same code must learn
    /// from the data to rank an untouched candidate above the customer's own history.
    func testLearnsThatCustomersNeverRebuy() throws {
        let catalog = CatalogFixture.catalog(Array(1...40))
        var events: [InteractionEvent] = []
        var t: Int64 = 0
        for round in 0..<6 {
            for c in 0..<60 {
                t += 60_000_000
                events.append(InteractionEvent(customerID: Int64(c), productID: Int64(1 + (c * 7 + round * 5) % 40), eventName: "view", occurredAtMicroseconds: t))
            }
        }
        let log = EventLog(events: events, catalog: catalog, eventNames: ["view"], windowSeconds: 86_400)
        let tower = UserTowerModel.untrained(eventWeights: ["view": 1], dimension: catalog.dimension)
        var o = options()
        o.candidates = CandidateSettings(similar: 40, repeat: 50, covisit: 20, popular: 10)
        let r = try RerankTrainer.train(log: log, catalog: catalog, tower: tower, eventWeights: ["view": 1], until: .max,
                                        options: o, now: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(Self.preferred(r.parameters), 1, "a shop whose customers never re-take products ranks their history last")
    }

    /// Leakage: events at or after `until` change nothing, and the samples start at the boundary.
    func testNoEventAfterTheCutoffIsSeen() throws {
        let (plain, catalog) = Self.repeatLog(customers: 60)
        let until = plain.times.last! + 1
        let (later, _) = Self.repeatLog(customers: 60, extraAfter: until)
        XCTAssertGreaterThan(later.count, plain.count)
        let tower = UserTowerModel.untrained(eventWeights: ["view": 1], dimension: catalog.dimension)
        let a = try RerankTrainer.train(log: plain, catalog: catalog, tower: tower, eventWeights: ["view": 1], until: until,
                                        options: options(), now: Date(timeIntervalSince1970: 0))
        let b = try RerankTrainer.train(log: later, catalog: catalog, tower: tower, eventWeights: ["view": 1], until: until,
                                        options: options(), now: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertEqual(a.sampleEvents, b.sampleEvents)
        XCTAssertLessThan(a.boundary, until)
    }

    /// Leakage, feature by feature: every feature of an event's candidates is the same whether or not the log holds
    /// events after it (the same customers' later events included), as evaluation and training compute them.
    func testFeaturesOfAnEventIgnoreLaterEvents() {
        let (plain, catalog) = Self.repeatLog(customers: 30)
        let (later, _) = Self.repeatLog(customers: 30, extraAfter: plain.times.last! + 1)
        XCTAssertGreaterThan(later.count, plain.count)
        let tower = UserTowerModel.untrained(eventWeights: ["view": 1], dimension: catalog.dimension)
        let items = Evaluator.itemVectors(of: tower, catalog: catalog)
        let ranker = CatalogRanker(dimension: catalog.dimension, items: items, isCandidate: catalog.active)
        let boundary = plain.times[plain.count / 2]
        func features(_ log: EventLog, _ e: Int) -> [Float] {
            let stage = TwoStage(log: log, catalog: catalog, items: ranker, typeWeight: [1], before: boundary, boughtThreshold: 1,
                                 settings: CandidateSettings())
            let user = tower.encode([log.interactions(before: e, items: items, dimension: catalog.dimension)]).flatMap { $0 }
            var out: [Float] = []
            ranker.forEachRow(users: user) { _, row in
                let (context, signals) = stage.candidates(history: stage.history(of: e, log: log, typeWeight: [1]),
                                                          cosines: UnsafeBufferPointer(row), ranker: ranker)
                out = RerankFeatures.matrix(signals, context: context)
            }
            return out
        }
        var checked = 0
        for e in stride(from: plain.count / 2, to: plain.count, by: 5) where !plain.history(of: e).isEmpty {
            let a = features(plain, e)
            XCTAssertFalse(a.isEmpty)
            XCTAssertEqual(a, features(later, e), "event \(e)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testModelFileKeepsBothStages() throws {
        let (log, catalog) = Self.repeatLog(customers: 60)
        let tower = UserTowerModel.untrained(eventWeights: ["view": 1], dimension: catalog.dimension)
        let rerank = try RerankTrainer.train(log: log, catalog: catalog, tower: tower, eventWeights: ["view": 1], until: .max,
                                             options: options()).parameters
        let path = NSTemporaryDirectory() + "rerank-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tower.with(rerank: rerank).save(path: path)
        let back = try UserTowerModel.load(path: path, eventWeights: ["view": 1])
        XCTAssertEqual(back.rerank, rerank)
    }
}
