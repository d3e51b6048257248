import Foundation
import TowerMath

/// Every trainable tensor of the user tower, in one flat Float32 buffer with named slices,
/// so optimisers, gradients and finite-difference checks treat the model as one vector.
///
/// With `d` = dimension, `a` = attention dimension, `H` = heads and `T` = number of event types:
///
/// | tensor | shape | role |
/// | --- | --- | --- |
/// | `type_embedding` | [T, d] | added to the product vector of an interaction of that type |
/// | `type_bias` | [T] | added to that interaction's pooling logit |
/// | `ln_gain`, `ln_bias` | [d] | layer normalisation before attention and pooling scores |
/// | `w_qk` | [d, 2a] | queries (first a columns) and keys (last a) of all heads; a = attention dimension, head h = columns h·a/H ..< (h+1)·a/H |
/// | `w_v` | [d, d] | values (head h = columns h·d/H ..< (h+1)·d/H) |
/// | `w_o`, `b_o` | [d, d], [d] | attention output projection (zero in the untrained model) |
/// | `pool_query` | [d] | content term of the pooling logit |
/// | `log_half_life` | [1] | natural log of the recency half-life in seconds |
/// | `w_out`, `b_out` | [d, d], [d] | final projection (identity in the untrained model) |
public struct UserTowerParameters: Equatable, Sendable {
    /// One named tensor inside the flat buffer.
    public struct Slot: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset ..< offset + count }
    }

    public let config: UserTowerConfig
    /// All tensors back to back, in `slots` order.
    public var values: [Float]
    public let slots: [Slot]
    package let typeEmbedding, typeBias, lnGain, lnBias, wQK, wV, wO, bO, poolQuery, logHalfLife, wOut, bOut: Int

    /// The untrained model: zero type embeddings and biases, zero attention output, identity projection,
    /// the configured half-life, and random (seeded) query, key and value weights so training can start.
    public init(config: UserTowerConfig, seed: UInt64 = 0x5EED) {
        precondition(config.problem == nil, "invalid user tower configuration: \(config.problem ?? "")")
        let d = config.dimension, a = config.attentionDimension, t = config.eventNames.count
        var slots: [Slot] = []
        var offset = 0
        func slot(_ name: String, _ shape: [Int]) -> Int {
            slots.append(Slot(name: name, shape: shape, offset: offset))
            defer { offset += shape.reduce(1, *) }
            return offset
        }
        typeEmbedding = slot("type_embedding", [t, d])
        typeBias = slot("type_bias", [t])
        lnGain = slot("ln_gain", [d])
        lnBias = slot("ln_bias", [d])
        wQK = slot("w_qk", [d, 2 * a])
        wV = slot("w_v", [d, d])
        wO = slot("w_o", [d, d])
        bO = slot("b_o", [d])
        poolQuery = slot("pool_query", [d])
        logHalfLife = slot("log_half_life", [1])
        wOut = slot("w_out", [d, d])
        bOut = slot("b_out", [d])
        self.slots = slots
        self.config = config
        values = [Float](repeating: 0, count: offset)

        for i in 0..<d { values[lnGain + i] = 1; values[wOut + i * d + i] = 1 }
        values[logHalfLife] = Foundation.log(config.initialHalfLifeSeconds)
        var rng = SplitMix64(seed: seed)
        let scale = (1 / Float(d)).squareRoot()
        for i in wQK ..< wQK + 2 * a * d { values[i] = rng.nextGaussian() * scale }
        for i in wV ..< wV + d * d { values[i] = rng.nextGaussian() * scale }
    }

    /// The slot called `name`.
    public func slot(named name: String) -> Slot? { slots.first { $0.name == name } }

    /// A copy of one tensor's values.
    public subscript(name: String) -> [Float] {
        get { Array(values[slot(named: name)!.range]) }
        set {
            let s = slot(named: name)!
            precondition(newValue.count == s.count, "\(name) holds \(s.count) values, got \(newValue.count)")
            values.replaceSubrange(s.range, with: newValue)
        }
    }

    /// The learned recency half-life in seconds.
    public var halfLifeSeconds: Float { Foundation.exp(values[logHalfLife]) }
}
