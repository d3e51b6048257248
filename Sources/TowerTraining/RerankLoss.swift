import Foundation
import TowerMath
import TowerRerank

/// Lists of standardised feature rows; each list's first row is the positive (the product the customer took).
struct RerankBatch {
    /// `rows × features`, standardised as the scorer standardises.
    var z: Matrix
    var lists: [Range<Int>]
}

/// The re-ranker's training objective: listwise softmax cross-entropy, mean over lists, plus
/// `l2 / 2 · ‖weights‖²` (biases excluded). Scores are `RerankParameters.score`'s:
/// `s = z·w + tanh(z W1ᵀ + b1)·v`. The flat parameter vector θ is `[w (F) | W1 (H×F) | b1 (H) | v (H)]`.
struct RerankLoss {
    let features: Int
    let hidden: Int
    let l2: Float

    var count: Int { features + hidden * features + 2 * hidden }

    /// Scores of every row (and the hidden activations, `rows × hidden`).
    func scores(_ theta: [Float], _ z: Matrix) -> (scores: [Float], activations: Matrix) {
        let f = features, h = hidden
        var s = Matrix(rows: z.rows, cols: 1)
        var a = Matrix(rows: z.rows, cols: h)
        theta.withUnsafeBufferPointer { t in
            z.data.withUnsafeBufferPointer { zp in
                s.data.withUnsafeMutableBufferPointer { sp in
                    BLAS.gemm(m: z.rows, n: 1, k: f, a: zp.baseAddress!, lda: f, b: t.baseAddress!, ldb: 1, c: sp.baseAddress!, ldc: 1)
                }
                guard h > 0 else { return }
                a.data.withUnsafeMutableBufferPointer { ap in
                    BLAS.gemm(m: z.rows, n: h, k: f, a: zp.baseAddress!, lda: f, b: t.baseAddress! + f, ldb: f, transB: true,
                              c: ap.baseAddress!, ldc: h)
                }
            }
        }
        guard h > 0 else { return (s.data, a) }
        let b1 = f + h * f, v = b1 + h
        for r in 0..<z.rows {
            var extra: Float = 0
            for j in 0..<h {
                let t = tanh(a.data[r * h + j] + theta[b1 + j])
                a.data[r * h + j] = t
                extra += theta[v + j] * t
            }
            s.data[r] += extra
        }
        return (s.data, a)
    }

    /// The loss and its gradient with respect to θ.
    func lossAndGradient(_ theta: [Float], _ batch: RerankBatch) -> (loss: Float, gradient: [Float]) {
        let f = features, h = hidden, rows = batch.z.rows
        let (s, a) = scores(theta, batch.z)
        var g = Matrix(rows: rows, cols: 1)
        var loss: Double = 0
        let lists = Float(max(batch.lists.count, 1))
        for list in batch.lists {
            let top = list.map { s[$0] }.max() ?? 0
            var sum: Float = 0
            for r in list { sum += exp(s[r] - top) }
            loss += Double(top + log(sum) - s[list.lowerBound])
            for r in list { g.data[r] = exp(s[r] - top) / sum / lists }
            g.data[list.lowerBound] -= 1 / lists
        }
        loss /= Double(lists)
        var gradient = [Float](repeating: 0, count: count)
        // dw = Zᵀ g
        let dw = BLAS.matmul(batch.z, transA: true, g)
        if h > 0 {
            let b1 = f + h * f, v = b1 + h
            // dv = Aᵀ g; dPre = (g vᵀ) ⊙ (1 − A²); dW1 = dPreᵀ Z; db1 = Σ_rows dPre
            let dv = BLAS.matmul(a, transA: true, g)
            var pre = Matrix(rows: rows, cols: h)
            for r in 0..<rows {
                for j in 0..<h {
                    let t = a.data[r * h + j]
                    pre.data[r * h + j] = g.data[r] * theta[v + j] * (1 - t * t)
                    gradient[b1 + j] += pre.data[r * h + j]
                }
            }
            let dW1 = BLAS.matmul(pre, transA: true, batch.z)
            for j in 0..<h { gradient[v + j] = dv.data[j] }
            for i in 0..<(h * f) { gradient[f + i] = dW1.data[i] }
        }
        for i in 0..<f { gradient[i] = dw.data[i] }
        // L2 on w, W1 and v.
        let b1 = f + h * f, v = b1 + h
        var penalty: Float = 0
        for i in 0..<count where i < b1 || i >= v {
            penalty += theta[i] * theta[i]
            gradient[i] += l2 * theta[i]
        }
        return (Float(loss) + l2 / 2 * penalty, gradient)
    }

    /// The scorer's parameters for θ with the standardisation used to build the batches.
    func parameters(_ theta: [Float], mean: [Float], scale: [Float], version: String, candidates: CandidateSettings) -> RerankParameters {
        let f = features, h = hidden
        var p = RerankParameters(version: version, hidden: h, candidates: candidates)
        p.mean = mean
        p.scale = scale
        p.linear = Array(theta[0..<f])
        p.hiddenWeights = Array(theta[f ..< f + h * f])
        p.hiddenBias = Array(theta[f + h * f ..< f + h * f + h])
        p.output = Array(theta[f + h * f + h ..< count])
        return p
    }
}
