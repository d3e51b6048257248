import Foundation
import TowerMath

/// Where the negatives of the contrastive objective come from.
public enum NegativeSampling: String, Codable, Sendable, CaseIterable {
    /// The other positives of the batch, with the logQ popularity correction (TensorFlow Recommenders).
    case inBatch = "in-batch"
    /// A fixed number of uniformly random active products the user did not interact with.
    case random
}

/// Softmax cross-entropy over cosine similarities divided by a temperature, each sample weighted by its
/// target event's weight: loss = Σ w_i · CE_i / Σ w_i. Users and item vectors are unit rows.
enum ContrastiveLoss {
    struct Result {
        var loss: Float
        /// Gradient with respect to the user vectors (samples × dimension).
        var dUsers: [Float]
    }

    /// In-batch negatives: sample i scores every positive of the batch; logits_ij = u_i·v_j / τ − ln q_j,
    /// where q_j is the probability that product j is a batch positive. Pairs j ≠ i with the same product or
    /// the same customer are masked (they are not negatives). Adds item gradients to `dItems` rows
    /// `positives[j]` (local item rows).
    static func inBatch(users: UnsafePointer<Float>, items: UnsafePointer<Float>, positives: [Int32], customers: [Int64],
                        logQ: [Float], weights: [Float], temperature: Float, dimension d: Int,
                        dItems: UnsafeMutablePointer<Float>) -> Result {
        let b = positives.count
        var targets = [Float](repeating: 0, count: b * d), logits = [Float](repeating: 0, count: b * b)
        var dUsers = [Float](repeating: 0, count: b * d), dTargets = [Float](repeating: 0, count: b * d)
        let totalWeight = weights.reduce(0, +)
        var loss: Double = 0
        targets.withUnsafeMutableBufferPointer { tb in
            logits.withUnsafeMutableBufferPointer { lb in
                let t = tb.baseAddress!, l = lb.baseAddress!
                for (j, p) in positives.enumerated() { (t + j * d).update(from: items + Int(p) * d, count: d) }
                BLAS.gemm(m: b, n: b, k: d, alpha: 1 / temperature, a: users, lda: d, b: t, ldb: d, transB: true, c: l, ldc: b)
                for i in 0..<b {
                    let row = l + i * b
                    for j in 0..<b {
                        let masked = j != i && (positives[j] == positives[i] || customers[j] == customers[i])
                        row[j] = masked ? -Float.infinity : row[j] - logQ[j]
                    }
                    Activations.softmaxRows(row, rows: 1, cols: b)
                    loss += Double(weights[i]) * -Double(Foundation.log(max(row[i], .leastNormalMagnitude)))
                    let scale = weights[i] / totalWeight / temperature
                    for j in 0..<b { row[j] = (row[j] - (j == i ? 1 : 0)) * scale }
                }
                dUsers.withUnsafeMutableBufferPointer { du in
                    BLAS.gemm(m: b, n: d, k: b, a: l, lda: b, b: t, ldb: d, c: du.baseAddress!, ldc: d)
                }
                dTargets.withUnsafeMutableBufferPointer { dt in
                    BLAS.gemm(m: b, n: d, k: b, a: l, lda: b, transA: true, b: users, ldb: d, c: dt.baseAddress!, ldc: d)
                    for (j, p) in positives.enumerated() {
                        RowOps.accumulate(dt.baseAddress! + j * d, count: d, into: dItems + Int(p) * d)
                    }
                }
            }
        }
        return Result(loss: Float(loss / Double(totalWeight)), dUsers: dUsers)
    }

    /// Sampled negatives: sample i scores its candidates `candidates[i * k ..< (i + 1) * k]` (local item rows,
    /// the positive first). Adds item gradients to `dItems`.
    static func sampled(users: UnsafePointer<Float>, items: UnsafePointer<Float>, candidates: [Int32], perSample k: Int,
                        weights: [Float], temperature: Float, dimension d: Int,
                        dItems: UnsafeMutablePointer<Float>) -> Result {
        let b = weights.count
        let totalWeight = weights.reduce(0, +)
        var dUsers = [Float](repeating: 0, count: b * d)
        var logits = [Float](repeating: 0, count: k)
        var loss: Double = 0
        dUsers.withUnsafeMutableBufferPointer { du in
            logits.withUnsafeMutableBufferPointer { l in
                for i in 0..<b {
                    let u = users + i * d
                    for c in 0..<k { l[c] = dot(u, items + Int(candidates[i * k + c]) * d, d) / temperature }
                    Activations.softmaxRows(l.baseAddress!, rows: 1, cols: k)
                    loss += Double(weights[i]) * -Double(Foundation.log(max(l[0], .leastNormalMagnitude)))
                    let scale = weights[i] / totalWeight / temperature
                    for c in 0..<k {
                        let g = (l[c] - (c == 0 ? 1 : 0)) * scale
                        let v = items + Int(candidates[i * k + c]) * d, dv = dItems + Int(candidates[i * k + c]) * d
                        let dui = du.baseAddress! + i * d
                        for x in 0..<d {
                            dui[x] += g * v[x]
                            dv[x] += g * u[x]
                        }
                    }
                }
            }
        }
        return Result(loss: Float(loss / Double(totalWeight)), dUsers: dUsers)
    }

    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for i in 0..<n { s += a[i] * b[i] }
        return s
    }
}
