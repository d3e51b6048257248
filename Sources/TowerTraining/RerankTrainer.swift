import Foundation
import TowerEvaluation
import TowerMath
import TowerModel
import TowerRerank

/// Options of the re-ranker's training (the second stage of `tower train`).
public struct RerankTrainingOptions: Sendable {
    /// Hidden tanh units of the scorer (0: linear).
    public var hidden = 8
    public var epochs = 30
    /// Lists (samples) per Adam step.
    public var batchSize = 128
    public var learningRate: Float = 0.01
    public var l2: Float = 1e-4
    /// Negatives sampled per list from the sample's other candidates.
    public var negatives = 100
    /// At most this many samples (the most recent are kept).
    public var maxSamples = 20_000
    /// Share of the samples (the most recent) held out to choose the epoch.
    public var validationFraction = 0.2
    /// The re-ranker learns from the last `sampleFraction` of the training events with a history: those the user
    /// tower holds out for validation (its `validationFraction`), so cosine is as informative as on new data.
    public var sampleFraction = TrainingOptions().validationFraction
    public var seed: UInt64 = 42
    public var candidates = CandidateSettings()

    public init() {}
}

/// What the re-ranker's training produced.
public struct RerankTrainingResult: Sendable {
    public var parameters: RerankParameters
    /// Events the samples came from (at or after `boundary`, before the cutoff), and those whose product was
    /// among the candidates (the ones learned from).
    public var sampleEvents: Int
    public var samples: Int
    public var validationSamples: Int
    /// Neighbours and trending were fitted on events before this time (µs).
    public var boundary: Int64
    public var bestEpoch: Int
    public var validationLoss: Float

    /// Share of the sample events whose product was among the candidates (the lists learned from).
    public var candidateShare: Double { sampleEvents > 0 ? Double(samples + validationSamples) / Double(sampleEvents) : 0 }
}

/// Trains the re-ranker on the training period with its own temporal split: co-visitation neighbours and
/// trending are fitted on the events before `boundary`, samples are the events from `boundary` on (each: the
/// candidates the serving path would generate with the trained user tower, the taken product the positive),
/// and the listwise loss (`RerankLoss`) is minimised with Adam. Only events before `until` are read.
public enum RerankTrainer {
    public static func train(log: EventLog, catalog: CatalogVectors, tower: UserTowerModel, eventWeights: [String: Float],
                             until: Int64, options: RerankTrainingOptions = RerankTrainingOptions(),
                             now: Date = Date()) throws -> RerankTrainingResult {
        let typeWeight = log.eventNames.map { tower.weight(of: $0) }
        let withHistory = (0..<log.count).filter { log.times[$0] < until && !log.history(of: $0).isEmpty }
        let sampleCount = Int(Double(withHistory.count) * options.sampleFraction)
        guard sampleCount >= 10 else { throw TrainingError.notEnoughData(samples: withHistory.count) }
        let boundary = log.times[withHistory[withHistory.count - sampleCount]]
        // Events sharing the boundary's timestamp are samples, not inputs (neighbours use times < boundary).
        let events = Array(withHistory.filter { log.times[$0] >= boundary }.suffix(options.maxSamples))
        let ranker = CatalogRanker(dimension: catalog.dimension, items: Evaluator.itemVectors(of: tower, catalog: catalog),
                                   isCandidate: catalog.active)
        let stage = TwoStage(log: log, catalog: catalog, items: ranker, typeWeight: typeWeight, before: boundary,
                             boughtThreshold: CoVisitation.boughtThreshold(weights: eventWeights), settings: options.candidates)
        let (rows, lists) = samples(events: events, log: log, catalog: catalog, tower: tower, ranker: ranker, stage: stage,
                                    typeWeight: typeWeight, options: options)
        guard lists.count >= 10 else { throw TrainingError.notEnoughData(samples: lists.count) }
        let f = RerankFeatures.count
        let (mean, scale, variance) = standardisation(rows, features: f)
        var z = Matrix(rows: rows.count / f, cols: f)
        for i in 0..<rows.count { z.data[i] = (rows[i] - mean[i % f]) / scale[i % f] }

        let validationCount = max(1, Int(Double(lists.count) * options.validationFraction))
        let trainLists = Array(lists.dropLast(validationCount)), validationLists = Array(lists.suffix(validationCount))
        let loss = RerankLoss(features: f, hidden: options.hidden, l2: options.l2)
        var rng = SplitMix64(seed: options.seed)
        var theta = [Float](repeating: 0, count: loss.count)
        let initScale = 1 / Float(f).squareRoot()
        for i in f ..< f + options.hidden * f { theta[i] = rng.nextGaussian() * initScale }
        var adam = Adam(count: theta.count, learningRate: options.learningRate)
        let validation = batch(z, validationLists)
        var best = (loss: loss.lossAndGradient(theta, validation).loss, epoch: 0, theta: theta)
        var order = Array(trainLists.indices)
        for epoch in 1...max(options.epochs, 1) {
            order.shuffle(using: &rng)
            for first in stride(from: 0, to: order.count, by: options.batchSize) {
                let chosen = order[first ..< min(first + options.batchSize, order.count)].map { trainLists[$0] }
                let (_, gradient) = loss.lossAndGradient(theta, batch(z, chosen))
                adam.step(&theta, gradient: gradient)
            }
            let v = loss.lossAndGradient(theta, validation).loss
            if v < best.loss { best = (v, epoch, theta) }
        }
        // A feature constant in training (e.g. unknown product ages) must not move scores when it varies online.
        for j in 0..<f where variance[j] == 0 {
            best.theta[j] = 0
            for h in 0..<options.hidden { best.theta[f + h * f + j] = 0 }
        }
        let version = Trainer.version("rerank", of: best.theta, at: now)
        let parameters = loss.parameters(best.theta, mean: mean, scale: scale, version: version, candidates: options.candidates)
        try parameters.validate()
        return RerankTrainingResult(parameters: parameters, sampleEvents: events.count, samples: trainLists.count,
                                    validationSamples: validationLists.count, boundary: boundary, bestEpoch: best.epoch,
                                    validationLoss: best.loss)
    }

    /// Raw feature rows (positive first, then sampled negatives) and each list's row range.
    static func samples(events: [Int], log: EventLog, catalog: CatalogVectors, tower: UserTowerModel, ranker: CatalogRanker,
                        stage: TwoStage, typeWeight: [Float], options: RerankTrainingOptions) -> (rows: [Float], lists: [Range<Int>]) {
        let items = ranker.items
        let f = RerankFeatures.count
        var rows: [Float] = [], lists: [Range<Int>] = []
        var rng = SplitMix64(seed: options.seed ^ 0x5eed)
        for first in stride(from: 0, to: events.count, by: 256) {
            let chunk = Array(events[first ..< min(first + 256, events.count)])
            let users = tower.encode(chunk.map { log.interactions(before: $0, items: items, dimension: catalog.dimension) }).flatMap { $0 }
            ranker.forEachRow(users: users) { i, row in
                let e = chunk[i]
                let target = catalog.productIDs[Int(log.products[e])]
                let history = stage.history(of: e, log: log, typeWeight: typeWeight)
                let (context, signals) = stage.candidates(history: history, cosines: UnsafeBufferPointer(row), ranker: ranker)
                guard let t = signals.firstIndex(where: { $0.productID == target }) else { return }
                var others = Array(signals.indices.filter { $0 != t })
                if others.count > options.negatives {
                    for k in 0..<options.negatives { others.swapAt(k, k + rng.nextIndex(others.count - k)) }
                    others.removeLast(others.count - options.negatives)
                }
                guard !others.isEmpty else { return }
                let start = rows.count / f
                for c in [t] + others { RerankFeatures.append(signals[c], context: context, to: &rows) }
                lists.append(start ..< rows.count / f)
            }
        }
        return (rows, lists)
    }

    /// Per feature: mean, standard deviation (1 where a feature is constant) and variance (0 when constant).
    static func standardisation(_ rows: [Float], features f: Int) -> (mean: [Float], scale: [Float], variance: [Double]) {
        let n = max(rows.count / f, 1)
        var mean = [Double](repeating: 0, count: f), square = mean
        for (i, x) in rows.enumerated() {
            mean[i % f] += Double(x)
            square[i % f] += Double(x) * Double(x)
        }
        let m = mean.map { $0 / Double(n) }
        let variance = (0..<f).map { j -> Double in
            let v = square[j] / Double(n) - m[j] * m[j]
            return v > 1e-12 ? v : 0
        }
        return (m.map(Float.init), variance.map { $0 > 0 ? Float($0.squareRoot()) : 1 }, variance)
    }

    static func batch(_ z: Matrix, _ lists: [Range<Int>]) -> RerankBatch {
        var data: [Float] = []
        var ranges: [Range<Int>] = []
        let f = z.cols
        for list in lists {
            let start = data.count / f
            data += z.data[list.lowerBound * f ..< list.upperBound * f]
            ranges.append(start ..< data.count / f)
        }
        return RerankBatch(z: Matrix(rows: data.count / f, cols: f, data: data), lists: ranges)
    }
}
