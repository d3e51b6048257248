/// The shape of a BERT encoder such as all-MiniLM-L6-v2.
public struct MiniLMConfig: Equatable, Sendable {
    public var vocabularySize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var maxPositions: Int
    public var layerNormEps: Float

    /// sentence-transformers/all-MiniLM-L6-v2 (its `config.json`).
    public static let allMiniLML6v2 = MiniLMConfig(vocabularySize: 30522, hidden: 384, layers: 6, heads: 12,
                                                   intermediate: 1536, maxPositions: 512, layerNormEps: 1e-12)

    public var headSize: Int { hidden / heads }

    /// Floating-point operations of one forward pass over a sequence of `tokens` word pieces: per layer and
    /// token the Q|K|V, attention-output and two FFN products (2·h·(4h + 2f)), plus the `tokens × tokens`
    /// attention scores and their weighted sum of values (4·tokens·h).
    public func forwardFLOPs(tokens: Int) -> Double {
        let h = Double(hidden), f = Double(intermediate), l = Double(tokens)
        return Double(layers) * (l * 2 * h * (4 * h + 2 * f) + 4 * l * l * h)
    }
}
