import TowerMath
import TowerModel
import TowerModel

extension UserTowerPass {
    /// A pass that also reserves the buffers `backward` takes.
    package convenience init(training config: UserTowerConfig, batch: UserTowerBatch, workspace: Workspace = Workspace()) {
        self.init(config: config, batch: batch, workspace: workspace,
                  reserving: Self.backwardSizes(config, rows: batch.rowCount, sequences: batch.sequenceCount, counts: batch.counts))
    }

    /// Backward pass after `forward`: given `dOutput` (sequences × dimension, the loss gradient with respect
    /// to the normalised outputs), adds the parameter gradients to `gradient` (the layout of
    /// `parameters.values`) and returns the gradient with respect to the input product vectors
    /// (rows × dimension).
    package func backward(_ parameters: UserTowerParameters, dOutput: [Float], gradient: inout [Float]) -> [Float] {
        precondition(dOutput.count == sequences * config.dimension, "dOutput needs sequences × dimension values")
        precondition(gradient.count == parameters.values.count, "gradient has the wrong size")
        precondition(reserved == Self.backwardSizes(config, rows: rows, sequences: sequences, counts: counts),
                     "backward needs a pass created with init(training:batch:workspace:)")
        let dx = workspace.take(rows * config.dimension, zeroed: true)
        parameters.values.withUnsafeBufferPointer { w in
            dOutput.withUnsafeBufferPointer { dOut in
                gradient.withUnsafeMutableBufferPointer { grad in
                    backward(w.baseAddress!, parameters, dOut.baseAddress!, grad.baseAddress!, dx.pointer)
                }
            }
        }
        return dx.array()
    }

    private func backward(_ w: UnsafePointer<Float>, _ p: UserTowerParameters, _ dOut: UnsafePointer<Float>,
                          _ grad: UnsafeMutablePointer<Float>, _ dH: UnsafeMutablePointer<Float>) {
        let d = config.dimension, heads = config.heads, dh = config.headDimension
        let a = config.attentionDimension, kh = config.keyDimension
        let types = config.eventNames.count
        let s = sequences
        let dZ = workspace.take(s * d, zeroed: true), dY = workspace.take(s * d), dC = workspace.take(s * d)
        let dG = workspace.take(s * heads * d)
        let dU = workspace.take(rows * d, zeroed: true), dQK = workspace.take(rows * 2 * a, zeroed: true)
        let dScore = workspace.take(rows, zeroed: true)
        var dTypeEmbedding = [Float](repeating: 0, count: (types + 1) * d)
        var dTypeBias = [Float](repeating: 0, count: types + 1)

        // Output: normalisation, W_out, W_o, W_v.
        LayerOps.l2NormalizeBackward(out: output.pointer, norms: zNorm.pointer, dOut: dOut, rows: s, cols: d, dx: dZ.pointer)
        BLAS.gemm(m: d, n: d, k: s, a: y.pointer, lda: d, transA: true, b: dZ.pointer, ldb: d, beta: 1,
                  c: grad + p.wOut, ldc: d)
        Self.addColumnSums(dZ.pointer, rows: s, cols: d, into: grad + p.bOut)
        BLAS.gemm(m: s, n: d, k: d, a: dZ.pointer, lda: d, b: w + p.wOut, ldb: d, transB: true, c: dY.pointer, ldc: d)
        BLAS.gemm(m: d, n: d, k: s, a: c.pointer, lda: d, transA: true, b: dY.pointer, ldb: d, beta: 1,
                  c: grad + p.wO, ldc: d)
        Self.addColumnSums(dY.pointer, rows: s, cols: d, into: grad + p.bO)
        BLAS.gemm(m: s, n: d, k: d, a: dY.pointer, lda: d, b: w + p.wO, ldb: d, transB: true, c: dC.pointer, ldc: d)
        for head in 0..<heads {
            BLAS.gemm(m: d, n: dh, k: s, a: g.pointer + head * d, lda: heads * d, transA: true,
                      b: dC.pointer + head * dh, ldb: d, beta: 1, c: grad + p.wV + head * dh, ldc: d)
            BLAS.gemm(m: s, n: d, k: dh, a: dC.pointer + head * dh, lda: d, b: w + p.wV + head * dh, ldb: d,
                      transB: true, c: dG.pointer + head * d, ldc: heads * d)
        }

        // Sequences: pooling and attention.
        let maxN = counts.max() ?? 0
        let dPool = workspace.take(maxN), dLogit = workspace.take(maxN), dBeta = workspace.take(heads * maxN)
        let rowSums = workspace.take(maxN), dScores = workspace.take(maxN * maxN)
        let scale = 1 / Float(kh).squareRoot()
        var dLogHalfLife: Float = 0
        for q in 0..<s {
            let start = starts[q], n = counts[q], po = positionOffsets[q]
            let weights = pool.pointer + po, betas = beta.pointer + po * heads
            let dYq = dY.pointer + q * d, dGq = dG.pointer + q * heads * d
            // pooled_h = Σ p_j h_j
            BLAS.gemm(m: n, n: 1, k: d, a: h.pointer + start * d, lda: d, b: dYq, ldb: 1, c: dPool.pointer, ldc: 1)
            BLAS.gemm(m: n, n: d, k: 1, a: weights, lda: 1, b: dYq, ldb: d, beta: 1, c: dH + start * d, ldc: d)
            // g = β U
            BLAS.gemm(m: heads, n: n, k: d, a: dGq, lda: d, b: u.pointer + start * d, ldb: d, transB: true,
                      c: dBeta.pointer, ldc: n)
            BLAS.gemm(m: n, n: d, k: heads, a: betas, lda: n, transA: true, b: dGq, ldb: d, beta: 1,
                      c: dU.pointer + start * d, ldc: d)
            // β = pᵀ A, A = softmax(scale · q kᵀ)
            let block = qk.pointer + start * 2 * a, dBlock = dQK.pointer + start * 2 * a
            for head in 0..<heads {
                let probs = attention.pointer + attentionOffsets[q] + head * n * n
                let db = dBeta.pointer + head * n
                BLAS.gemm(m: n, n: 1, k: n, a: probs, lda: n, b: db, ldb: 1, c: rowSums.pointer, ldc: 1)
                for i in 0..<n {
                    dPool.pointer[i] += rowSums.pointer[i]
                    let pi = weights[i], ri = rowSums.pointer[i]
                    for j in 0..<n { dScores.pointer[i * n + j] = pi * probs[i * n + j] * (db[j] - ri) }
                }
                BLAS.gemm(m: n, n: kh, k: n, alpha: scale, a: dScores.pointer, lda: n, b: block + a + head * kh,
                          ldb: 2 * a, beta: 1, c: dBlock + head * kh, ldc: 2 * a)
                BLAS.gemm(m: n, n: kh, k: n, alpha: scale, a: dScores.pointer, lda: n, transA: true,
                          b: block + head * kh, ldb: 2 * a, beta: 1, c: dBlock + a + head * kh, ldc: 2 * a)
            }
            // p = softmax(logit)
            LayerOps.softmaxBackward(y: weights, dy: dPool.pointer, count: n, dx: dLogit.pointer)
            for j in 0..<n {
                let r = start + j, dl = dLogit.pointer[j]
                dTypeBias[Int(self.types[r])] += dl
                dLogHalfLife += dl * decay * ages[po + j]
                dScore.pointer[r] += dl
            }
        }
        grad[p.logHalfLife] += dLogHalfLife

        // Rows: pool_query, W_qk, layer norm, type embeddings.
        BLAS.gemm(m: d, n: 1, k: rows, a: u.pointer, lda: d, transA: true, b: dScore.pointer, ldb: 1, beta: 1,
                  c: grad + p.poolQuery, ldc: 1)
        BLAS.gemm(m: rows, n: d, k: 1, a: dScore.pointer, lda: 1, b: w + p.poolQuery, ldb: d, beta: 1, c: dU.pointer, ldc: d)
        BLAS.gemm(m: d, n: 2 * a, k: rows, a: u.pointer, lda: d, transA: true, b: dQK.pointer, ldb: 2 * a, beta: 1,
                  c: grad + p.wQK, ldc: 2 * a)
        BLAS.gemm(m: rows, n: d, k: 2 * a, a: dQK.pointer, lda: 2 * a, b: w + p.wQK, ldb: 2 * a, transB: true, beta: 1,
                  c: dU.pointer, ldc: d)
        LayerOps.layerNormBackward(dOut: dU.pointer, xhat: xhat.pointer, rstd: rstd.pointer, gain: w + p.lnGain,
                                   rows: rows, cols: d, dx: dH, dGain: grad + p.lnGain, dBias: grad + p.lnBias)
        dTypeEmbedding.withUnsafeMutableBufferPointer { table in
            for r in 0..<rows { RowOps.accumulate(dH + r * d, count: d, into: table.baseAddress! + Int(self.types[r]) * d) }
        }
        // The unknown-type row is the average of the others.
        for t in 0..<types {
            for i in 0..<d { grad[p.typeEmbedding + t * d + i] += dTypeEmbedding[t * d + i] + dTypeEmbedding[types * d + i] / Float(types) }
            grad[p.typeBias + t] += dTypeBias[t] + dTypeBias[types] / Float(types)
        }
    }

    /// The sizes of the buffers `backward` takes, in order.
    private static func backwardSizes(_ config: UserTowerConfig, rows: Int, sequences s: Int, counts: [Int]) -> [Int] {
        let d = config.dimension, heads = config.heads, maxN = counts.max() ?? 0
        return [rows * d, s * d, s * d, s * d, s * heads * d, rows * d, rows * 2 * config.attentionDimension, rows,
                maxN, maxN, heads * maxN, maxN, maxN * maxN]
    }

    /// `into[c] += Σ_r x[r, c]`.
    private static func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { RowOps.accumulate(x + r * cols, count: cols, into: into) }
    }
}
