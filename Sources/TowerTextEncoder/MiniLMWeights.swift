import TowerMath
import TowerModel

/// The MiniLM weights in one contiguous buffer, laid out for the forward pass:
/// Hugging Face tensor names, `Linear` weights kept as `[out, in]` (used transposed in GEMM),
/// and the query/key/value projections fused into one `[3·hidden, hidden]` matrix.
final class MiniLMWeights: @unchecked Sendable {
    // Immutable after init; the buffer lives as long as the object, so the pointers stay valid.
    struct Layer {
        let qkvWeight, qkvBias: UnsafePointer<Float>
        let attentionOutWeight, attentionOutBias, attentionNormGamma, attentionNormBeta: UnsafePointer<Float>
        let intermediateWeight, intermediateBias: UnsafePointer<Float>
        let outputWeight, outputBias, outputNormGamma, outputNormBeta: UnsafePointer<Float>
    }

    let config: MiniLMConfig
    let wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNormGamma, embeddingNormBeta: UnsafePointer<Float>
    let layers: [Layer]
    private let storage: UnsafeMutableBufferPointer<Float>

    /// Reads and shape-checks every tensor the forward pass needs.
    init(file: SafeTensorsFile, config: MiniLMConfig) throws {
        let h = config.hidden, f = config.intermediate
        var tensors: [(name: String, shape: [Int])] = [
            ("embeddings.word_embeddings.weight", [config.vocabularySize, h]),
            ("embeddings.position_embeddings.weight", [config.maxPositions, h]),
            ("embeddings.token_type_embeddings.weight", [2, h]),
            ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h]),
        ]
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            // Order matters: query, key and value weights (then their biases) end up adjacent = fused.
            tensors += [
                (p + "attention.self.query.weight", [h, h]), (p + "attention.self.key.weight", [h, h]),
                (p + "attention.self.value.weight", [h, h]),
                (p + "attention.self.query.bias", [h]), (p + "attention.self.key.bias", [h]),
                (p + "attention.self.value.bias", [h]),
                (p + "attention.output.dense.weight", [h, h]), (p + "attention.output.dense.bias", [h]),
                (p + "attention.output.LayerNorm.weight", [h]), (p + "attention.output.LayerNorm.bias", [h]),
                (p + "intermediate.dense.weight", [f, h]), (p + "intermediate.dense.bias", [f]),
                (p + "output.dense.weight", [h, f]), (p + "output.dense.bias", [h]),
                (p + "output.LayerNorm.weight", [h]), (p + "output.LayerNorm.bias", [h]),
            ]
        }
        if file.tensors["encoder.layer.\(config.layers).attention.self.query.weight"] != nil {
            throw SafeTensorsError.malformed(path: file.path, reason: "it has more than \(config.layers) layers")
        }
        let total = tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
        var offsets: [String: Int] = [:]
        var offset = 0
        do {
            for (name, shape) in tensors {
                let values = try file.floats(name, shape: shape)
                _ = UnsafeMutableBufferPointer(rebasing: storage[offset..<(offset + values.count)]).initialize(from: values)
                offsets[name] = offset
                offset += values.count
            }
        } catch {
            storage.deallocate()
            throw error
        }
        let base = UnsafePointer(storage.baseAddress!)
        func at(_ name: String) -> UnsafePointer<Float> { base + offsets[name]! }
        self.storage = storage
        self.config = config
        wordEmbeddings = at("embeddings.word_embeddings.weight")
        positionEmbeddings = at("embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = at("embeddings.token_type_embeddings.weight")
        embeddingNormGamma = at("embeddings.LayerNorm.weight")
        embeddingNormBeta = at("embeddings.LayerNorm.bias")
        layers = (0..<config.layers).map { l in
            let p = "encoder.layer.\(l)."
            return Layer(
                qkvWeight: at(p + "attention.self.query.weight"), qkvBias: at(p + "attention.self.query.bias"),
                attentionOutWeight: at(p + "attention.output.dense.weight"),
                attentionOutBias: at(p + "attention.output.dense.bias"),
                attentionNormGamma: at(p + "attention.output.LayerNorm.weight"),
                attentionNormBeta: at(p + "attention.output.LayerNorm.bias"),
                intermediateWeight: at(p + "intermediate.dense.weight"), intermediateBias: at(p + "intermediate.dense.bias"),
                outputWeight: at(p + "output.dense.weight"), outputBias: at(p + "output.dense.bias"),
                outputNormGamma: at(p + "output.LayerNorm.weight"), outputNormBeta: at(p + "output.LayerNorm.bias"))
        }
    }

    deinit { storage.deallocate() }
}
