import TowerMath

/// Differentiable row operations of the user tower: forward passes that keep what their backward
/// passes need, and the backward passes (checked against finite differences in the tests).
enum LayerOps {
    /// Layer normalisation of `rows` rows: `out = xhat * gain + bias` with `xhat = (x - mean) * rstd`,
    /// `rstd = 1 / sqrt(var + eps)` (biased variance). Keeps `xhat` and `rstd`.
    static func layerNormForward(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gain: UnsafePointer<Float>,
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

    /// Backward of `layerNormForward`: adds to `dx`, `dGain` and `dBias` given `dOut`.
    static func layerNormBackward(dOut: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                  gain: UnsafePointer<Float>, rows: Int, cols: Int, dx: UnsafeMutablePointer<Float>,
                                  dGain: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>) {
        let n = Float(cols), body = cols / 8 * 8
        for r in 0..<rows {
            let dr = dOut + r * cols, hr = xhat + r * cols, dxr = dx + r * cols
            var accD = Lanes(), accDX = Lanes()
            for i in stride(from: 0, to: body, by: 8) {
                let g = load(dr + i) * load(gain + i)
                accD += g
                accDX += g * load(hr + i)
            }
            var sumD = accD.sum(), sumDX = accDX.sum()
            for i in body..<cols { let g = dr[i] * gain[i]; sumD += g; sumDX += g * hr[i] }
            let meanD = sumD / n, meanDX = sumDX / n, inv = rstd[r]
            for i in stride(from: 0, to: body, by: 8) {
                let g = load(dr + i), h = load(hr + i)
                store(load(dGain + i) + g * h, dGain + i)
                store(load(dBias + i) + g, dBias + i)
                store(load(dxr + i) + inv * (g * load(gain + i) - meanD - h * meanDX), dxr + i)
            }
            for i in body..<cols {
                dGain[i] += dr[i] * hr[i]
                dBias[i] += dr[i]
                dxr[i] += inv * (dr[i] * gain[i] - meanD - hr[i] * meanDX)
            }
        }
    }

    typealias Lanes = Activations.Lanes

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> Lanes { Activations.load(p) }

    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes { Activations.load(p) }

    @inline(__always) private static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) { Activations.store(v, p) }

    /// Backward of a row softmax `y = softmax(x)`: `dx = y ⊙ (dy − y·dy)`, written to `dx`.
    static func softmaxBackward(y: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int,
                                dx: UnsafeMutablePointer<Float>) {
        var dot: Float = 0
        for i in 0..<count { dot += y[i] * dy[i] }
        for i in 0..<count { dx[i] = y[i] * (dy[i] - dot) }
    }

    /// `out = x / |x|` per row, keeping the norms (a zero row stays zero).
    static func l2NormalizeForward(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
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

    /// Backward of `l2NormalizeForward`: `dx += (dOut − out (out·dOut)) / |x|`.
    static func l2NormalizeBackward(out: UnsafePointer<Float>, norms: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                    rows: Int, cols: Int, dx: UnsafeMutablePointer<Float>) {
        for r in 0..<rows where norms[r] > 0 {
            let o = out + r * cols, dr = dOut + r * cols, dxr = dx + r * cols
            var dot: Float = 0
            for i in 0..<cols { dot += o[i] * dr[i] }
            let inv = 1 / norms[r]
            for i in 0..<cols { dxr[i] += (dr[i] - o[i] * dot) * inv }
        }
    }
}
