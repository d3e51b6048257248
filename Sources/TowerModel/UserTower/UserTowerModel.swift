import Foundation
import TowerRerank

/// The user tower used for inference: parameters, the configured event weights, and (when the item
/// side was trained) the item tower whose output the stored product vectors are.
public final class UserTowerModel: UserEncoder {
    public let parameters: UserTowerParameters
    /// Event weights from the configuration (TOWER_EVENT_WEIGHTS); they enter the pooling.
    public let eventWeights: [String: Float]
    /// An event name the configuration does not weigh is weighted like this one (weight 1 when nil).
    public let fallbackEventName: String?
    public let version: String
    /// The trained item side, if any (see `ItemTower`).
    public let items: ItemTower?
    /// The second stage: the re-ranker's parameters (nil: rank by cosine alone).
    public let rerank: RerankParameters?
    private let workspaces = WorkspacePool()

    public var config: UserTowerConfig { parameters.config }

    public init(parameters: UserTowerParameters, eventWeights: [String: Float], fallbackEventName: String? = nil,
                version: String, items: ItemTower? = nil, rerank: RerankParameters? = nil) {
        self.parameters = parameters
        self.eventWeights = eventWeights
        self.fallbackEventName = fallbackEventName
        self.version = version
        self.items = items
        self.rerank = rerank
    }

    /// The same model with the re-ranker's parameters.
    public func with(rerank: RerankParameters) -> UserTowerModel {
        UserTowerModel(parameters: parameters, eventWeights: eventWeights, fallbackEventName: fallbackEventName,
                       version: version, items: items, rerank: rerank)
    }

    /// Version string of every untrained default model.
    public static let untrainedVersion = "untrained-v1"

    /// The untrained default: the event-weighted, recency-decayed (half-life one day) mean of the
    /// product vectors, normalised. Attention contributes nothing (its output projection is zero), so this
    /// model keeps it minimal: one head comparing 8-value keys.
    public static func untrained(eventWeights: [String: Float], fallbackEventName: String? = nil,
                                 dimension: Int = 384) -> UserTowerModel {
        let names = eventWeights.keys.sorted()
        let config = UserTowerConfig(dimension: dimension, heads: 1, attentionDimension: 8,
                                     eventNames: names.isEmpty ? ["interaction"] : names)
        return UserTowerModel(parameters: UserTowerParameters(config: config), eventWeights: eventWeights,
                              fallbackEventName: fallbackEventName, version: untrainedVersion)
    }

    /// The weight of an event name: configured, else the fallback event's, else 1.
    public func weight(of eventName: String) -> Float {
        eventWeights[eventName] ?? fallbackEventName.flatMap { eventWeights[$0] } ?? 1
    }

    /// The row of `eventName` in the type table (`eventNames.count` for a type the model does not know).
    public func typeIndex(of eventName: String) -> Int32 {
        Int32(config.eventNames.firstIndex(of: eventName) ?? config.eventNames.count)
    }

    public func encode(_ histories: [[TowerInteraction]]) -> [[Float]] {
        let d = config.dimension
        let used = histories.indices.filter { !histories[$0].isEmpty }
        var result = [[Float]](repeating: [Float](repeating: 0, count: d), count: histories.count)
        guard !used.isEmpty else { return result }
        let workspace = workspaces.borrow()
        defer { workspaces.giveBack(workspace) }
        let pass = UserTowerPass(config: config, batch: batch(for: used.map { histories[$0] }), workspace: workspace)
        pass.forward(parameters)
        for (s, index) in used.enumerated() { result[index] = pass.output(s) }
        return result
    }

    /// The forward-pass input for non-empty histories (each cut to `maxHistory`, own rows each).
    public func batch(for histories: [[TowerInteraction]]) -> UserTowerBatch {
        let d = config.dimension
        var batch = UserTowerBatch(vectors: [], types: [], logWeights: [], starts: [], counts: [], ages: [])
        batch.vectors.reserveCapacity(histories.count * config.maxHistory * d)
        for history in histories {
            let items = history.prefix(config.maxHistory)
            batch.starts.append(batch.types.count)
            batch.counts.append(items.count)
            for item in items {
                precondition(item.productVector.count == d, "a product vector has \(item.productVector.count) values, the model expects \(d)")
                batch.vectors += item.productVector
                batch.types.append(typeIndex(of: item.eventName))
                batch.logWeights.append(Foundation.log(max(weight(of: item.eventName), .leastNormalMagnitude)))
                batch.ages.append(max(0, item.ageSeconds))
            }
        }
        return batch
    }
}

extension UserTowerModel {
    /// Floating-point operations (multiply and add counted separately) of the matrix products of one forward
    /// pass over histories of these lengths: row projections, attention, pooling and the per-user projections.
    public func forwardFLOPs(historyLengths: [Int]) -> Double {
        let c = config
        let d = Double(c.dimension), a = Double(c.attentionDimension), heads = Double(c.heads)
        var flops = 0.0
        for raw in historyLengths where raw > 0 {
            let n = Double(min(raw, c.maxHistory))
            flops += n * (4 * d * a + 2 * d)                   // [q|k] and the pooling score of each row
            flops += 2 * n * n * a + 2 * heads * n * n         // attention scores, β = pᵀA
            flops += 2 * n * d + 2 * heads * n * d             // pooled rows, β·U
            flops += 3 * 2 * d * d                             // values, output projection, final projection
        }
        return flops
    }
}
