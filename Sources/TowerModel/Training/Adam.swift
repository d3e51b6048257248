import Foundation

/// Adam (Kingma & Ba) over one flat parameter vector, with an optional sparse (lazy) form for
/// embedding tables where a step only touches the rows present in the batch.
struct Adam {
    var learningRate: Float
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    private(set) var m: [Float], v: [Float]
    /// Steps taken per row (sparse form) or overall (dense form: one row).
    private var steps: [Int32]
    private let rowWidth: Int

    /// An optimiser for `count` values updated in rows of `rowWidth` (the whole vector is one row when dense).
    init(count: Int, learningRate: Float, rowWidth: Int? = nil) {
        self.learningRate = learningRate
        m = [Float](repeating: 0, count: count)
        v = m
        self.rowWidth = rowWidth ?? max(count, 1)
        steps = [Int32](repeating: 0, count: max(count / self.rowWidth, 1))
    }

    /// One dense step: every value moves along `gradient`.
    mutating func step(_ values: inout [Float], gradient: [Float]) {
        precondition(values.count == m.count && gradient.count == m.count, "Adam: size mismatch")
        values.withUnsafeMutableBufferPointer { x in
            gradient.withUnsafeBufferPointer { g in update(x.baseAddress!, g.baseAddress!, row: 0, offset: 0, count: m.count) }
        }
    }

    /// One sparse step: row `rows[i]` of `values` moves along row `i` of `gradients` (`rows.count × rowWidth`).
    mutating func step(_ values: inout [Float], rows: [Int32], gradients: [Float]) {
        precondition(gradients.count == rows.count * rowWidth, "Adam: gradient rows mismatch")
        values.withUnsafeMutableBufferPointer { x in
            gradients.withUnsafeBufferPointer { g in
                for (i, r) in rows.enumerated() {
                    update(x.baseAddress!, g.baseAddress! + i * rowWidth, row: Int(r), offset: Int(r) * rowWidth, count: rowWidth)
                }
            }
        }
    }

    private mutating func update(_ x: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, row: Int, offset: Int, count: Int) {
        steps[row] += 1
        let t = Float(steps[row])
        let lr = learningRate * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t))
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        m.withUnsafeMutableBufferPointer { mm in
            v.withUnsafeMutableBufferPointer { vv in
                let mp = mm.baseAddress! + offset, vp = vv.baseAddress! + offset, xp = x + offset
                for i in 0..<count {
                    let gi = g[i]
                    mp[i] = b1 * mp[i] + (1 - b1) * gi
                    vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                    xp[i] -= lr * mp[i] / (vp[i].squareRoot() + eps)
                }
            }
        }
    }
}
