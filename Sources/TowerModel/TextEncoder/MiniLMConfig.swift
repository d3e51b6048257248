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
}
