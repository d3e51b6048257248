import TowerMath
import TowerModel

/// The backward passes of the user tower's row operations (checked against finite differences in the tests).
extension LayerOps {
    /// Backward of `layerNormForward`: adds to `dx`, `dGain` and `dBias` given `dOut`.
    package static func layerNormBackward(dOut: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                          gain: UnsafePointer<Float>, rows: Int, cols: Int, dx: UnsafeMutablePointer<Float>,
                                          dGain: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>) {
        let n = Float(cols), body = cols / 8 * 8
        for r in 0..<rows {
            let dr = dOut + r * cols, hr = xhat + r * cols, dxr = dx + r * cols
            var accD = Activations.Lanes(), accDX = Activations.Lanes()
            for i in stride(from: 0, to: body, by: 8) {
                let g = Activations.load(dr + i) * Activations.load(gain + i)
                accD += g
                accDX += g * Activations.load(hr + i)
            }
            var sumD = accD.sum(), sumDX = accDX.sum()
            for i in body..<cols { let g = dr[i] * gain[i]; sumD += g; sumDX += g * hr[i] }
            let meanD = sumD / n, meanDX = sumDX / n, inv = rstd[r]
            for i in stride(from: 0, to: body, by: 8) {
                let g = Activations.load(dr + i), h = Activations.load(hr + i)
                Activations.store(Activations.load(dGain + i) + g * h, dGain + i)
                Activations.store(Activations.load(dBias + i) + g, dBias + i)
                Activations.store(Activations.load(dxr + i) + inv * (g * Activations.load(gain + i) - meanD - h * meanDX), dxr + i)
            }
            for i in body..<cols {
                dGain[i] += dr[i] * hr[i]
                dBias[i] += dr[i]
                dxr[i] += inv * (dr[i] * gain[i] - meanD - hr[i] * meanDX)
            }
        }
    }

    /// Backward of a row softmax `y = softmax(x)`: `dx = y ⊙ (dy − y·dy)`, written to `dx`.
    package static func softmaxBackward(y: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int,
                                        dx: UnsafeMutablePointer<Float>) {
        var dot: Float = 0
        for i in 0..<count { dot += y[i] * dy[i] }
        for i in 0..<count { dx[i] = y[i] * (dy[i] - dot) }
    }

    /// Backward of `l2NormalizeForward`: `dx += (dOut − out (out·dOut)) / |x|`.
    package static func l2NormalizeBackward(out: UnsafePointer<Float>, norms: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
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
