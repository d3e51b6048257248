import TowerMath
import TowerModel

/// One BERT forward pass plus mean pooling and L2 normalisation, on the calling thread.
///
/// The sequences of a batch are packed: their tokens are stacked into one `[tokens × hidden]`
/// matrix with no padding rows, so every projection and the FFN are single large GEMMs, and
/// attention runs per sequence and head on its own `L × L` block. This computes exactly what
/// padding to the batch's longest sequence with an attention mask computes (masked keys get
/// zero weight, padded rows are never pooled) without spending work on padding.
struct MiniLMForward {
    let weights: MiniLMWeights
    let scratch: ScratchPool

    /// Scratch buffers of one pass, carved from one pooled allocation.
    private struct Workspace {
        var hidden, next, qkv, context, intermediate, scores: UnsafeMutablePointer<Float>
        /// Row stride of the attention scores: rows padded to whole 8-lane vectors for the softmax.
        var scoreStride: Int
    }

    /// The L2-normalised mean-pooled embedding of each token sequence (`[CLS] … [SEP]` ids).
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let c = weights.config
        let h = c.hidden, f = c.intermediate
        let lengths = sequences.map(\.count)
        precondition(lengths.allSatisfy { $0 > 0 && $0 <= c.maxPositions }, "sequence lengths must be in 1...\(c.maxPositions)")
        let tokens = lengths.reduce(0, +)
        guard tokens > 0 else { return [] }
        let scoreStride = (lengths.max()! + 7) / 8 * 8
        // Hidden states (two buffers), fused Q|K|V, attention context, FFN activations, scores.
        let sizes = [tokens * h, tokens * h, tokens * 3 * h, tokens * h, tokens * f, scoreStride * scoreStride]
        return scratch.withBuffer(capacity: sizes.reduce(0, +)) { base in
            var offset = 0
            let p = sizes.map { size in defer { offset += size }; return base + offset }
            let workspace = Workspace(hidden: p[0], next: p[1], qkv: p[2], context: p[3], intermediate: p[4],
                                      scores: p[5], scoreStride: scoreStride)
            return encode(sequences, lengths: lengths, tokens: tokens, workspace)
        }
    }

    private func encode(_ sequences: [[Int32]], lengths: [Int], tokens: Int, _ w: Workspace) -> [[Float]] {
        let c = weights.config
        let h = c.hidden, f = c.intermediate, dh = c.headSize
        let (hidden, next, qkv, context, intermediate, scores) = (w.hidden, w.next, w.qkv, w.context, w.intermediate, w.scores)
        let scoreStride = w.scoreStride
        embedTokens(sequences, into: hidden)
        var x = hidden, y = next
        let scale = 1 / Float(dh).squareRoot()
        for layer in weights.layers {
            // Q|K|V = x Wqkvᵀ + b, one GEMM for all tokens.
            RowOps.broadcast(layer.qkvBias, rows: tokens, cols: 3 * h, into: qkv)
            BLAS.gemm(m: tokens, n: 3 * h, k: h, a: x, lda: h, b: layer.qkvWeight, ldb: h, transB: true,
                      beta: 1, c: qkv, ldc: 3 * h)
            // Per sequence and head: softmax(Q Kᵀ / √dh) V into the head's columns of the context.
            var start = 0
            for length in lengths {
                let rows = qkv + start * 3 * h
                for head in 0..<c.heads {
                    BLAS.gemm(m: length, n: length, k: dh, alpha: scale,
                              a: rows + head * dh, lda: 3 * h, b: rows + h + head * dh, ldb: 3 * h, transB: true,
                              c: scores, ldc: scoreStride)
                    Activations.softmaxPaddedRows(scores, rows: length, cols: length, stride: scoreStride)
                    BLAS.gemm(m: length, n: dh, k: length, a: scores, lda: scoreStride,
                              b: rows + 2 * h + head * dh, ldb: 3 * h,
                              c: context + start * h + head * dh, ldc: h)
                }
                start += length
            }
            // y = LayerNorm(x + context Woᵀ + bo).
            BLAS.gemm(m: tokens, n: h, k: h, a: context, lda: h, b: layer.attentionOutWeight, ldb: h, transB: true,
                      c: y, ldc: h)
            Activations.layerNorm(y, rows: tokens, cols: h, residual: x, bias: layer.attentionOutBias,
                                  gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, eps: c.layerNormEps)
            swap(&x, &y)
            // y = LayerNorm(x + GELU(x W1ᵀ + b1) W2ᵀ + b2).
            BLAS.gemm(m: tokens, n: f, k: h, a: x, lda: h, b: layer.intermediateWeight, ldb: h, transB: true,
                      c: intermediate, ldc: f)
            Activations.gelu(intermediate, rows: tokens, cols: f, bias: layer.intermediateBias)
            BLAS.gemm(m: tokens, n: h, k: f, a: intermediate, lda: f, b: layer.outputWeight, ldb: f, transB: true,
                      c: y, ldc: h)
            Activations.layerNorm(y, rows: tokens, cols: h, residual: x, bias: layer.outputBias,
                                  gamma: layer.outputNormGamma, beta: layer.outputNormBeta, eps: c.layerNormEps)
            swap(&x, &y)
        }
        return meanPool(x, lengths: lengths)
    }

    /// Word + position + token-type (segment 0) embeddings, then LayerNorm.
    private func embedTokens(_ sequences: [[Int32]], into out: UnsafeMutablePointer<Float>) {
        let c = weights.config
        let h = c.hidden
        var row = 0
        for ids in sequences {
            for (position, id) in ids.enumerated() {
                precondition(id >= 0 && Int(id) < c.vocabularySize, "token id \(id) outside the vocabulary")
                let dst = out + row * h
                RowOps.add(weights.wordEmbeddings + Int(id) * h, weights.positionEmbeddings + position * h,
                           count: h, into: dst)
                RowOps.accumulate(weights.tokenTypeEmbeddings, count: h, into: dst)
                row += 1
            }
        }
        Activations.layerNorm(out, rows: row, cols: h, gamma: weights.embeddingNormGamma,
                              beta: weights.embeddingNormBeta, eps: c.layerNormEps)
    }

    /// The mean of each sequence's rows, scaled to unit length.
    private func meanPool(_ states: UnsafeMutablePointer<Float>, lengths: [Int]) -> [[Float]] {
        let h = weights.config.hidden
        var start = 0
        return lengths.map { length in
            var sum = [Float](repeating: 0, count: h)
            sum.withUnsafeMutableBufferPointer { s in
                for r in start..<(start + length) { RowOps.accumulate(states + r * h, count: h, into: s.baseAddress!) }
            }
            start += length
            return VectorOps.l2Normalized(sum)
        }
    }
}
