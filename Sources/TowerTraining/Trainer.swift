import Foundation
import TowerEvaluation
import TowerMath
import TowerModel

/// Progress of a training run, reported after every batch.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var maxEpochs: Int
    /// Samples done in this epoch, of `samplesPerEpoch`.
    public var samplesDone: Int
    public var samplesPerEpoch: Int
    /// Mean loss of this epoch so far.
    public var loss: Float
}

/// One finished epoch.
public struct EpochSummary: Codable, Sendable {
    public var epoch: Int
    public var loss: Float
    public var validationRecall20: Double
    public var validationNDCG20: Double
    public var seconds: Double
}

/// What a training run produced.
public struct TrainingResult: Sendable {
    public var model: UserTowerModel
    public var epochs: [EpochSummary]
    /// The epoch whose weights were kept (1-based).
    public var bestEpoch: Int
    public var trainingSamples: Int
    public var validationSamples: Int
    public var stopReason: String
    /// JSON summary stored in the weights file's `training` metadata.
    public var summaryJSON: String
}

/// A problem that stops training before it starts.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidOptions(String)
    case notEnoughData(samples: Int)

    public var description: String {
        switch self {
        case .invalidOptions(let reason): return "invalid training options: \(reason)"
        case .notEnoughData(let n):
            return "only \(n) target events have a history inside the window: import more events (`tower events import`), "
                + "choose a later --until, or a longer --window"
        }
    }
}

/// Trains the user tower (and the per-product residuals) with Adam on mini-batches, contrastively:
/// positive = the product of the target event, history = the protocol history of that event.
public final class Trainer {
    public let log: EventLog
    public let catalog: CatalogVectors
    public let options: TrainingOptions
    let config: UserTowerConfig
    let eventWeights: [String: Float]
    /// Current weights, per-product residuals (catalog rows × dimension), generator and scratch memory.
    var parameters: UserTowerParameters
    var residuals: [Float]
    var rng: SplitMix64
    /// One scratch state per parallel part of a batch (`options.threads`).
    let parallelState: [PartState]

    /// - Parameters:
    ///   - log: the training events (all before the cutoff), in log order.
    ///   - eventNames: the configured event types (the model's type table), weighted by `eventWeights`.
    public init(log: EventLog, catalog: CatalogVectors, eventNames: [String], eventWeights: [String: Float],
                options: TrainingOptions) throws {
        if let problem = options.problem { throw TrainingError.invalidOptions(problem) }
        config = UserTowerConfig(dimension: catalog.dimension, heads: options.heads,
                                 attentionDimension: options.attentionDimension, maxHistory: log.maxHistory,
                                 eventNames: eventNames)
        if let problem = config.problem { throw TrainingError.invalidOptions(problem) }
        self.log = log
        self.catalog = catalog
        self.options = options
        self.eventWeights = eventWeights
        let initial = UserTowerParameters(config: config, seed: options.seed)
        parameters = initial
        residuals = [Float](repeating: 0, count: catalog.count * catalog.dimension)
        rng = SplitMix64(seed: options.seed &+ 1)
        parallelState = (0..<max(1, options.threads)).map { _ in PartState(parameterCount: initial.values.count) }
    }

    /// Runs training to the end (early stopping, epoch cap or time limit) and returns the best epoch's model.
    public func train(now: Date = Date(), progress: (TrainingProgress) -> Void = { _ in },
                      onEpoch: (EpochSummary) -> Void = { _ in }) throws -> TrainingResult {
        let started = Date()
        let shell = model(version: "training")
        let withHistory = (0..<log.count).filter { !log.history(of: $0).isEmpty }
        let validationCount = Int(Double(withHistory.count) * options.validationFraction)
        let trainEvents = Array(withHistory.dropLast(validationCount))
        guard trainEvents.count >= options.batchSize, validationCount > 0 else {
            throw TrainingError.notEnoughData(samples: withHistory.count)
        }
        var validationEvents = Array(withHistory.suffix(validationCount))
        if validationEvents.count > options.maxValidationSamples {
            validationEvents.shuffle(using: &rng)
            validationEvents = Array(validationEvents.prefix(options.maxValidationSamples))
        }
        let train = SampleBatches(log: log, events: trainEvents, model: shell, chunkSize: options.chunkSize)
        let validation = SampleBatches(log: log, events: validationEvents, model: shell, chunkSize: options.chunkSize)
        let context = StepContext(log: log, train: train, negatives: options.negatives, count: options.randomNegatives)

        var towerAdam = Adam(count: parameters.values.count, learningRate: options.learningRate)
        var itemAdam = Adam(count: residuals.count, learningRate: options.itemLearningRate, rowWidth: catalog.dimension)
        var epochs: [EpochSummary] = []
        var best: (score: Double, epoch: Int, parameters: UserTowerParameters, residuals: [Float])?
        var stopReason = "reached the epoch limit (\(options.maxEpochs))"
        var order = Array(train.chunks.indices)

        epochLoop: for epoch in 1...options.maxEpochs {
            let epochStart = Date()
            order.shuffle(using: &rng)
            var lossSum: Double = 0, done = 0
            for chosen in train.batches(order: order, size: options.batchSize) {
                let parts = train.split(chosen, parts: parallelState.count).map(train.batch)
                let loss = step(parts, context: context, towerAdam: &towerAdam, itemAdam: &itemAdam)
                guard loss.isFinite else { throw TrainingError.invalidOptions("the loss diverged (\(loss)) in epoch \(epoch): lower the learning rate") }
                let samples = parts.reduce(0) { $0 + $1.events.count }
                lossSum += Double(loss) * Double(samples)
                done += samples
                progress(TrainingProgress(epoch: epoch, maxEpochs: options.maxEpochs, samplesDone: done,
                                          samplesPerEpoch: trainEvents.count, loss: Float(lossSum / Double(done))))
                if let limit = options.timeLimitSeconds, Date().timeIntervalSince(started) > limit, best != nil {
                    stopReason = "reached the time limit (\(Int(limit)) s) during epoch \(epoch)"
                    break epochLoop
                }
            }
            let (recall, ndcg) = validate(validation)
            epochs.append(EpochSummary(epoch: epoch, loss: Float(lossSum / Double(max(done, 1))), validationRecall20: recall,
                                       validationNDCG20: ndcg, seconds: Date().timeIntervalSince(epochStart)))
            onEpoch(epochs[epochs.count - 1])
            let score = recall + 1e-3 * ndcg
            if best == nil || score > best!.score {
                best = (score, epoch, parameters, residuals)
            } else if epoch - best!.epoch >= options.patience {
                stopReason = "validation Recall@20 did not improve for \(options.patience) epochs"
                break
            }
            if let limit = options.timeLimitSeconds, Date().timeIntervalSince(started) > limit {
                stopReason = "reached the time limit (\(Int(limit)) s) after epoch \(epoch)"
                break
            }
        }
        let chosen = best!
        parameters = chosen.parameters
        residuals = chosen.residuals
        let final = model(version: Self.version(of: parameters, at: now))
        let summary = TrainingSummary(options: options, trainingSamples: trainEvents.count,
                                      validationSamples: validationEvents.count, bestEpoch: chosen.epoch,
                                      epochs: epochs, stopReason: stopReason)
        let json = String(decoding: try JSONEncoder.sorted.encode(summary), as: UTF8.self)
        return TrainingResult(model: final, epochs: epochs, bestEpoch: chosen.epoch, trainingSamples: trainEvents.count,
                              validationSamples: validationEvents.count, stopReason: stopReason, summaryJSON: json)
    }

    /// The model with the current weights; the item side holds the products whose residual is not zero.
    func model(version: String) -> UserTowerModel {
        let d = catalog.dimension
        var ids: [Int64] = [], rows: [Float] = []
        if options.trainItems {
            for p in 0..<catalog.count where residuals[p * d ..< (p + 1) * d].contains(where: { $0 != 0 }) {
                ids.append(catalog.productIDs[p])
                rows += residuals[p * d ..< (p + 1) * d]
            }
        }
        return UserTowerModel(parameters: parameters, eventWeights: eventWeights, version: version,
                              items: ids.isEmpty ? nil : ItemTower(dimension: d, productIDs: ids, residuals: rows))
    }

    /// `tower-<UTC time>-<first 8 hex digits of the SHA-256 of the weights>`.
    static func version(of parameters: UserTowerParameters, at date: Date) -> String {
        version("tower", of: parameters.values, at: date)
    }

    /// `<prefix>-<UTC yyyyMMddTHHmmssZ>-<8 hex of the SHA-256 of the values>`.
    static func version(_ prefix: String, of values: [Float], at date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let bytes = values.withUnsafeBytes { Array($0) }
        return "\(prefix)-\(f.string(from: date))-" + SHA256.digest(bytes).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: validation

    /// Recall@20 and NDCG@20 of the validation samples, ranked against every active product.
    private func validate(_ validation: SampleBatches) -> (recall: Double, ndcg: Double) {
        let all = (0..<catalog.count).map(Int32.init)
        let ranker = CatalogRanker(dimension: catalog.dimension, items: itemVectors(all).vectors, isCandidate: catalog.active)
        var metrics = RankingMetrics()
        let order = Array(validation.chunks.indices)
        for chosen in validation.batches(order: order, size: 512) {
            let batch = validation.batch(chosen)
            var input = batch.input
            input.vectors = [Float](repeating: 0, count: batch.rowProducts.count * catalog.dimension)
            let d = catalog.dimension
            for (r, p) in batch.rowProducts.enumerated() {
                input.vectors.replaceSubrange(r * d ..< (r + 1) * d, with: ranker.items[Int(p) * d ..< (Int(p) + 1) * d])
            }
            let pass = UserTowerPass(config: config, batch: input, workspace: parallelState[0].workspace)
            pass.forward(parameters)
            for rank in ranker.rank(users: pass.output.array(), targets: batch.targets).ranks { metrics.add(rank: rank) }
        }
        return (metrics.recall(at: 20), metrics.ndcg(at: 20))
    }
}

/// The `training` metadata of a weights file.
struct TrainingSummary: Codable {
    var options: TrainingOptions
    var trainingSamples: Int
    var validationSamples: Int
    var bestEpoch: Int
    var epochs: [EpochSummary]
    var stopReason: String
}
