/// The shape and fixed settings of a user tower, stored in the weights file header.
public struct UserTowerConfig: Codable, Equatable, Sendable {
    /// Width of product vectors and of the output (the product space).
    public var dimension: Int
    /// Attention heads; `dimension` and `attentionDimension` must be divisible by them.
    public var heads: Int
    /// Width of the queries and of the keys over all heads (each head compares `attentionDimension / heads` values).
    public var attentionDimension: Int
    /// The most recent interactions read per user.
    public var maxHistory: Int
    /// Interaction types with a learned embedding, in table order.
    public var eventNames: [String]
    /// Recency half-life the untrained model starts from (learned during training).
    public var initialHalfLifeSeconds: Float
    /// Layer normalisation epsilon.
    public var layerNormEpsilon: Float

    public init(dimension: Int = 384, heads: Int = 4, attentionDimension: Int = 128, maxHistory: Int = 20, eventNames: [String],
                initialHalfLifeSeconds: Float = 86_400, layerNormEpsilon: Float = 1e-5) {
        self.dimension = dimension
        self.heads = heads
        self.attentionDimension = attentionDimension
        self.maxHistory = maxHistory
        self.eventNames = eventNames
        self.initialHalfLifeSeconds = initialHalfLifeSeconds
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// Width of one head's values.
    public var headDimension: Int { dimension / heads }
    /// Width of one head's queries and keys.
    public var keyDimension: Int { attentionDimension / heads }

    /// Why this configuration cannot build a model, or nil when it can.
    public var problem: String? {
        if dimension <= 0 { return "dimension must be positive (found \(dimension))" }
        if heads <= 0 || dimension % heads != 0 { return "heads must divide the dimension \(dimension) (found \(heads))" }
        if attentionDimension <= 0 || attentionDimension % heads != 0 {
            return "heads must divide the attention dimension \(attentionDimension) (found \(heads))"
        }
        if maxHistory <= 0 { return "maxHistory must be positive (found \(maxHistory))" }
        if eventNames.isEmpty { return "eventNames must list at least one interaction type" }
        if Set(eventNames).count != eventNames.count { return "eventNames repeats a name: \(eventNames)" }
        if !(initialHalfLifeSeconds > 0) || !initialHalfLifeSeconds.isFinite {
            return "initialHalfLifeSeconds must be positive (found \(initialHalfLifeSeconds))"
        }
        if !(layerNormEpsilon > 0) { return "layerNormEpsilon must be positive (found \(layerNormEpsilon))" }
        return nil
    }
}
