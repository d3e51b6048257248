import TowerEvaluation
import TowerMath
import TowerModel
@testable import TowerTraining
import XCTest

final class TrainingTests: XCTestCase {
    /// A log where each customer walks a fixed cycle of products (p → p + 1), a pattern the default model
    /// cannot see (product vectors are random) but the trained model can learn.
    static func cycleLog(customers: Int = 120, steps: Int = 12, products: Int = 30, dimension: Int = 16)
        -> (log: EventLog, catalog: CatalogVectors) {
        var rng = SplitMix64(seed: 5)
        let catalog = CatalogVectors(dimension: dimension, products: (0..<products).map { p in
            (id: Int64(100 + p), vector: (0..<dimension).map { _ in rng.nextGaussian() }, active: true)
        })
        var events: [LoggedEvent] = []
        var starts = (0..<customers).map { _ in rng.nextIndex(products) }
        for step in 0..<steps {
            for c in 0..<customers {
                events.append(LoggedEvent(customerID: Int64(c), productID: Int64(100 + (starts[c] + step) % products),
                                          eventName: step % 3 == 0 ? "view" : "click", time: Int64(step * 60 + c % 7) * 1_000_000))
            }
        }
        starts.removeAll()
        events.sort { $0.time < $1.time }
        return (EventLog(events: events, catalog: catalog, eventNames: ["view", "click"], windowSeconds: 3_600), catalog)
    }

    static func options(_ negatives: NegativeSampling = .inBatch) -> TrainingOptions {
        var o = TrainingOptions()
        o.heads = 2
        o.attentionDimension = 8
        o.batchSize = 64
        o.maxEpochs = 6
        o.patience = 6
        o.learningRate = 3e-3
        o.itemLearningRate = 3e-2
        o.temperature = 0.1
        o.negatives = negatives
        o.randomNegatives = 5
        return o
    }

    private let weights: [String: Float] = ["view": 0.5, "click": 2]

    func testTrainingLearnsAPatternTheDefaultCannotSee() throws {
        let (log, catalog) = Self.cycleLog()
        for negatives in NegativeSampling.allCases {
            var epochs: [EpochSummary] = []
            let trainer = try Trainer(log: log, catalog: catalog, eventNames: ["view", "click"], eventWeights: weights,
                                      options: Self.options(negatives))
            var reported = 0
            let result = try trainer.train(progress: { _ in reported += 1 }, onEpoch: { epochs.append($0) })
            XCTAssertGreaterThan(reported, 0)
            XCTAssertLessThan(epochs.last!.loss, epochs.first!.loss, "\(negatives): the loss falls")
            XCTAssertGreaterThan(epochs[result.bestEpoch - 1].validationRecall20, 0.9, "\(negatives)")
            XCTAssertNotNil(result.model.items, "\(negatives): the item side learned residuals")
            XCTAssertTrue(result.model.version.hasPrefix("tower-"))

            let evaluator = Evaluator(log: log, catalog: catalog, splitAt: 600 * 1_000_000, eventWeights: weights)
            let scores = evaluator.evaluate(tower: result.model, events: evaluator.testEvents)
            let tower = scores.models.first { $0.name == "tower" }!, base = scores.models.first { $0.name == "default" }!
            // Random negatives exclude the customer's own products, so the history (at most 11 products here)
            // may outrank the target; in-batch negatives include them and put the target first.
            XCTAssertGreaterThan(tower.metrics.recall(at: 12), 0.9, "\(negatives)")
            XCTAssertGreaterThan(tower.metrics.recall(at: 12), base.metrics.recall(at: 12) + 0.5, "\(negatives)")
            if negatives == .inBatch { XCTAssertGreaterThan(tower.metrics.recall(at: 1), 0.8) }
        }
    }

    func testSameSeedSameModel() throws {
        let (log, catalog) = Self.cycleLog(customers: 40, steps: 8)
        var options = Self.options()
        options.maxEpochs = 2
        func train() throws -> UserTowerModel {
            try Trainer(log: log, catalog: catalog, eventNames: ["view", "click"], eventWeights: weights, options: options)
                .train().model
        }
        let a = try train(), b = try train()
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertEqual(a.items, b.items)
        options.seed = 7
        XCTAssertNotEqual(try train().parameters, a.parameters)
    }

    /// Batches cut into parallel parts give the one-thread result up to summation order.
    func testParallelPartsMatchOneThread() throws {
        let (log, catalog) = Self.cycleLog(customers: 40, steps: 8)
        var options = Self.options()
        options.maxEpochs = 1
        func train(threads: Int) throws -> UserTowerModel {
            options.threads = threads
            return try Trainer(log: log, catalog: catalog, eventNames: ["view", "click"], eventWeights: weights, options: options)
                .train().model
        }
        let one = try train(threads: 1), two = try train(threads: 2)
        let worst = zip(one.parameters.values, two.parameters.values).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-3)
        XCTAssertEqual(one.items?.productIDs, two.items?.productIDs)
    }

    func testSplitCutsABatchIntoBalancedParts() {
        let (log, _) = Self.cycleLog(customers: 10, steps: 12)
        let shell = UserTowerModel.untrained(eventWeights: weights, dimension: 16)
        let events = (0..<log.count).filter { !log.history(of: $0).isEmpty }
        let batches = SampleBatches(log: log, events: events, model: shell, chunkSize: 4)
        let all = Array(batches.chunks.indices)[...]
        let parts = batches.split(all, parts: 3)
        XCTAssertEqual(parts.count, 3)
        XCTAssertEqual(Array(parts.joined()), Array(all))
        let sizes = parts.map { $0.reduce(0) { $0 + batches.chunks[$1].samples.count } }
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 4)
        XCTAssertEqual(batches.split(all.prefix(1), parts: 3).count, 1, "never an empty part")
    }

    func testTooLittleDataIsATypedError() {
        let (log, catalog) = Self.cycleLog(customers: 2, steps: 3)
        XCTAssertThrowsError(try Trainer(log: log, catalog: catalog, eventNames: ["view", "click"], eventWeights: weights,
                                         options: Self.options()).train()) { error in
            XCTAssertTrue("\(error)".contains("tower events import"), "\(error)")
        }
    }

    func testAdamMinimisesAQuadratic() {
        var adam = Adam(count: 2, learningRate: 0.1)
        var x: [Float] = [3, -2]
        for _ in 0..<500 { adam.step(&x, gradient: [2 * (x[0] - 1), 2 * (x[1] + 4)]) }
        XCTAssertEqual(x[0], 1, accuracy: 0.05)
        XCTAssertEqual(x[1], -4, accuracy: 0.05)
        var sparse = Adam(count: 4, learningRate: 0.1, rowWidth: 2)
        var table: [Float] = [5, 5, 5, 5]
        for _ in 0..<300 { sparse.step(&table, rows: [1], gradients: [2 * table[2], 2 * table[3]]) }
        XCTAssertEqual(table[0], 5, "untouched rows do not move")
        XCTAssertEqual(table[2], 0, accuracy: 0.05)
    }
}
