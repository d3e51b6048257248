import Foundation
import TowerMath

/// One forward pass of the user tower over a batch, keeping the activations the backward pass needs.
///
/// Per interaction row r (product vector x, type t):
///   h = x + E[t];  u = LayerNorm(h);  [q | k] = u · W_qk;  c_r = u · pool_query
/// Per sequence (rows j = 1…n, ages a_j, event weights w_j):
///   logit_j = ln w_j + type_bias[t_j] − ln 2 · a_j / half_life + c_j;  p = softmax(logit)
///   attention per head: A = softmax(q kᵀ / √(d/H)) over the sequence;  β = pᵀ A
///   pooled = Σ_j p_j h_j + (Σ_heads (β U) W_v,head) W_o + b_o
///       (= the p-weighted mean of h_j + attention_j · W_o, with attention_j = Σ_i A_ji u_i W_v: pooling is
///        linear, so the value and output projections run once per sequence instead of once per row)
///   z = pooled · W_out + b_out;  output = z / |z|
/// Untrained (zero E, bias, W_o, b_o, pool_query; identity W_out) this is the event-weighted,
/// recency-decayed mean of the product vectors, normalised.
/// A pass is used by one thread at a time (training runs the parts of a batch on separate threads, each with
/// its own pass and workspace), hence `@unchecked Sendable`.
package final class UserTowerPass: @unchecked Sendable {
    package let config: UserTowerConfig
    package let rows: Int, sequences: Int, positions: Int
    package let vectors: [Float]
    package let types: [Int32]
    package let starts: [Int], counts: [Int], ages: [Float], logWeights: [Float]
    /// First position (into `ages`, `pool`) and first attention value of each sequence.
    package let positionOffsets: [Int], attentionOffsets: [Int]
    /// Decay rate ln 2 / half-life used by this pass.
    package private(set) var decay: Float = 0

    // Activations.
    package let h, xhat, rstd, u, qk, rowScore: FloatBuffer        // per row
    package let pool: FloatBuffer                                  // per position: pooling weights p
    package let attention: FloatBuffer                             // per sequence: heads × n × n
    package let beta: FloatBuffer                                  // per position and head: heads × n per sequence
    package let pooledH, g, c, y, z, zNorm, output: FloatBuffer    // per sequence

    package let workspace: Workspace
    /// The sizes of the buffers reserved after the forward pass's (TowerTraining's backward pass takes them).
    package let reserved: [Int]

    /// A pass over `batch` using `workspace` for every buffer (the workspace must not serve another pass
    /// while this one is in use), reserving buffers of the sizes `reserved` after the forward ones.
    package init(config: UserTowerConfig, batch: UserTowerBatch, workspace: Workspace = Workspace(), reserving reserved: [Int] = []) {
        precondition(batch.problem(for: config) == nil, "invalid user tower batch: \(batch.problem(for: config) ?? "")")
        self.config = config
        self.workspace = workspace
        self.reserved = reserved
        rows = batch.rowCount
        sequences = batch.sequenceCount
        vectors = batch.vectors
        types = batch.types
        starts = batch.starts
        counts = batch.counts
        ages = batch.ages
        logWeights = batch.logWeights
        var pos = 0, att = 0
        var po: [Int] = [], ao: [Int] = []
        for n in counts { po.append(pos); ao.append(att); pos += n; att += config.heads * n * n }
        positionOffsets = po
        attentionOffsets = ao
        positions = pos
        let d = config.dimension, heads = config.heads, a2 = 2 * config.attentionDimension
        let s = sequences, r = rows
        let forwardSizes = [r * d, r * d, r, r * d, r * a2, r, pos, att, pos * heads,
                            s * d, s * heads * d, s * d, s * d, s * d, s, s * d]
        workspace.begin(sizes: forwardSizes + reserved)
        h = workspace.take(r * d); xhat = workspace.take(r * d); rstd = workspace.take(r)
        u = workspace.take(r * d); qk = workspace.take(r * a2); rowScore = workspace.take(r)
        pool = workspace.take(pos); attention = workspace.take(att); beta = workspace.take(pos * heads)
        pooledH = workspace.take(s * d); g = workspace.take(s * heads * d); c = workspace.take(s * d)
        y = workspace.take(s * d); z = workspace.take(s * d); zNorm = workspace.take(s)
        output = workspace.take(s * d)
    }

    /// Runs the forward pass; the result is in `output` (sequences × dimension, unit rows).
    package func forward(_ parameters: UserTowerParameters) {
        precondition(parameters.config == config, "the parameters belong to a different configuration")
        parameters.values.withUnsafeBufferPointer { buffer in forward(buffer.baseAddress!, parameters) }
    }

    /// The output of sequence `s`.
    package func output(_ s: Int) -> [Float] { output.array(from: s * config.dimension, count: config.dimension) }

    /// Type embedding table with one extra row (the average, for unknown types), and likewise the biases.
    package static func typeTables(_ w: UnsafePointer<Float>, _ p: UserTowerParameters) -> (embedding: [Float], bias: [Float]) {
        let d = p.config.dimension, t = p.config.eventNames.count
        var embedding = [Float](UnsafeBufferPointer(start: w + p.typeEmbedding, count: t * d))
        var bias = [Float](UnsafeBufferPointer(start: w + p.typeBias, count: t))
        var meanRow = [Float](repeating: 0, count: d)
        for r in 0..<t { for i in 0..<d { meanRow[i] += embedding[r * d + i] / Float(t) } }
        embedding += meanRow
        bias.append(bias.reduce(0, +) / Float(t))
        return (embedding, bias)
    }

    private func forward(_ w: UnsafePointer<Float>, _ p: UserTowerParameters) {
        let d = config.dimension, heads = config.heads, dh = config.headDimension
        let a = config.attentionDimension, kh = config.keyDimension
        let (typeEmbedding, typeBias) = Self.typeTables(w, p)
        decay = Foundation.log(2) * Foundation.exp(-w[p.logHalfLife])

        // Rows: h = x + E[t]; u = LayerNorm(h); [q|k] = u W_qk; row score = u · pool_query.
        vectors.withUnsafeBufferPointer { x in
            typeEmbedding.withUnsafeBufferPointer { table in
                for r in 0..<rows {
                    RowOps.add(x.baseAddress! + r * d, table.baseAddress! + Int(types[r]) * d, count: d, into: h.pointer + r * d)
                }
            }
        }
        LayerOps.layerNormForward(h.pointer, rows: rows, cols: d, gain: w + p.lnGain, bias: w + p.lnBias,
                                  eps: config.layerNormEpsilon, xhat: xhat.pointer, rstd: rstd.pointer, out: u.pointer)
        BLAS.gemm(m: rows, n: 2 * a, k: d, a: u.pointer, lda: d, b: w + p.wQK, ldb: 2 * a, c: qk.pointer, ldc: 2 * a)
        BLAS.gemm(m: rows, n: 1, k: d, a: u.pointer, lda: d, b: w + p.poolQuery, ldb: 1, c: rowScore.pointer, ldc: 1)

        // Sequences: pooling weights, attention, pooled rows.
        let scale = 1 / Float(kh).squareRoot()
        for s in 0..<sequences {
            let start = starts[s], n = counts[s], po = positionOffsets[s]
            let weights = pool.pointer + po
            for j in 0..<n {
                let r = start + j
                weights[j] = logWeights[r] + typeBias[Int(types[r])] - decay * ages[po + j] + rowScore.pointer[r]
            }
            Activations.softmaxRows(weights, rows: 1, cols: n)
            BLAS.gemm(m: 1, n: d, k: n, a: weights, lda: n, b: h.pointer + start * d, ldb: d,
                      c: pooledH.pointer + s * d, ldc: d)
            let block = qk.pointer + start * 2 * a
            let betas = beta.pointer + po * heads
            for head in 0..<heads {
                let scores = attention.pointer + attentionOffsets[s] + head * n * n
                BLAS.gemm(m: n, n: n, k: kh, alpha: scale, a: block + head * kh, lda: 2 * a,
                          b: block + a + head * kh, ldb: 2 * a, transB: true, c: scores, ldc: n)
                Activations.softmaxRows(scores, rows: n, cols: n)
                BLAS.gemm(m: 1, n: n, k: n, a: weights, lda: n, b: scores, ldb: n, c: betas + head * n, ldc: n)
            }
            BLAS.gemm(m: heads, n: d, k: n, a: betas, lda: n, b: u.pointer + start * d, ldb: d,
                      c: g.pointer + s * heads * d, ldc: d)
        }

        // Batched projections: c_head = g_head W_v,head; y = pooled + b_o + c W_o; z = y W_out + b_out.
        for head in 0..<heads {
            BLAS.gemm(m: sequences, n: dh, k: d, a: g.pointer + head * d, lda: heads * d,
                      b: w + p.wV + head * dh, ldb: d, c: c.pointer + head * dh, ldc: d)
        }
        RowOps.addRows(pooledH.pointer, bias: w + p.bO, rows: sequences, cols: d, into: y.pointer)
        BLAS.gemm(m: sequences, n: d, k: d, a: c.pointer, lda: d, b: w + p.wO, ldb: d, beta: 1, c: y.pointer, ldc: d)
        RowOps.broadcast(w + p.bOut, rows: sequences, cols: d, into: z.pointer)
        BLAS.gemm(m: sequences, n: d, k: d, a: y.pointer, lda: d, b: w + p.wOut, ldb: d, beta: 1, c: z.pointer, ldc: d)
        LayerOps.l2NormalizeForward(z.pointer, rows: sequences, cols: d, norms: zNorm.pointer, out: output.pointer)
    }
}
