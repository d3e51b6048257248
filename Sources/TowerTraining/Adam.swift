import Foundation
import TowerMath

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
        let c = Constants(lr: lr, b1: beta1, b2: beta2, eps: epsilon)
        m.withUnsafeMutableBufferPointer { mm in
            v.withUnsafeMutableBufferPointer { vv in
                let mp = mm.baseAddress! + offset, vp = vv.baseAddress! + offset, xp = x + offset
                // 8 lanes at a time, then the same formula on the tail (one lane).
                var i = 0
                while i + 8 <= count {
                    Self.update(c, x: xp + i, g: g + i, m: mp + i, v: vp + i)
                    i += 8
                }
                while i < count {
                    var (xi, mi, vi) = (Lanes(repeating: xp[i]), Lanes(repeating: mp[i]), Lanes(repeating: vp[i]))
                    Self.update(c, x: &xi, g: Lanes(repeating: g[i]), m: &mi, v: &vi)
                    (xp[i], mp[i], vp[i]) = (xi[0], mi[0], vi[0])
                    i += 1
                }
            }
        }
    }

    private typealias Lanes = Activations.Lanes
    private struct Constants { let lr, b1, b2, eps: Float }

    @inline(__always)
    private static func update(_ c: Constants, x: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
                        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
        var (xv, mv, vv) = (Activations.load(x), Activations.load(m), Activations.load(v))
        update(c, x: &xv, g: Activations.load(g), m: &mv, v: &vv)
        Activations.store(xv, x)
        Activations.store(mv, m)
        Activations.store(vv, v)
    }

    /// `m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²;  x −= lr · m / (√v + ε)`, lane by lane (`lr` bias-corrected).
    @inline(__always)
    private static func update(_ c: Constants, x: inout Lanes, g: Lanes, m: inout Lanes, v: inout Lanes) {
        m = c.b1 * m + (1 - c.b1) * g
        v = c.b2 * v + (1 - c.b2) * g * g
        x -= c.lr * m / (Activations.squareRoot(v) + c.eps)
    }
}
