import TowerMath

/// Differentiable row operations of the user tower: forward passes that keep what their backward
/// passes need (the backward passes are TowerTraining's).
package enum LayerOps {
    /// Layer normalisation of `rows` rows: `out = xhat * gain + bias` with `xhat = (x - mean) * rstd`,
    /// `rstd = 1 / sqrt(var + eps)` (biased variance). Keeps `xhat` and `rstd`.
    package static func layerNormForward(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gain: UnsafePointer<Float>,
                                         bias: UnsafePointer<Float>, eps: Float, xhat: UnsafeMutablePointer<Float>,
                                         rstd: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let n = Float(cols), body = cols / 8 * 8
        for r in 0..<rows {
            let xr = x + r * cols, hr = xhat + r * cols, outr = out + r * cols
            var acc = Lanes()
            for i in stride(from: 0, to: body, by: 8) { acc += load(xr + i) }
            var total = acc.sum()
            for i in body..<cols { total += xr[i] }
            let mean = total / n
            acc = Lanes()
            for i in stride(from: 0, to: body, by: 8) { let dv = load(xr + i) - mean; acc += dv * dv }
            var squares = acc.sum()
            for i in body..<cols { let dv = xr[i] - mean; squares += dv * dv }
            let inv = 1 / (squares / n + eps).squareRoot()
            rstd[r] = inv
            for i in stride(from: 0, to: body, by: 8) {
                let v = (load(xr + i) - mean) * inv
                store(v, hr + i)
                store(v * load(gain + i) + load(bias + i), outr + i)
            }
            for i in body..<cols {
                let v = (xr[i] - mean) * inv
                hr[i] = v
                outr[i] = v * gain[i] + bias[i]
            }
        }
    }

    typealias Lanes = Activations.Lanes

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> Lanes { Activations.load(p) }

    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes { Activations.load(p) }

    @inline(__always) private static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) { Activations.store(v, p) }

    /// `out = x / |x|` per row, keeping the norms (a zero row stays zero).
    package static func l2NormalizeForward(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                           norms: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * cols, outr = out + r * cols
            var sq: Float = 0
            for i in 0..<cols { sq += xr[i] * xr[i] }
            let norm = sq.squareRoot()
            norms[r] = norm
            let inv: Float = norm > 0 ? 1 / norm : 0
            for i in 0..<cols { outr[i] = xr[i] * inv }
        }
    }
}
