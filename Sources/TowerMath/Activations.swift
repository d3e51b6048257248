#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Row-wise layer normalisation, GELU and softmax over contiguous Float32 buffers.
///
/// The pointer forms work in place on row-major blocks inside larger buffers (hot loops, no
/// bounds checks); the `Matrix` forms wrap them. Inner loops run on 8-lane SIMD vectors.
public enum Activations {
    public typealias Lanes = SIMD8<Float>

    // MARK: Layer normalisation

    /// `y = (x - mean) / sqrt(var + eps) * gamma + beta` for each of `rows` rows of `cols` values
    /// (row starts `stride` apart), in place. The variance is the biased one (divides by `cols`), as in PyTorch.
    /// With `residual` (contiguous `rows × cols`) and/or `bias` (`cols` values), normalises
    /// `x + residual + bias` instead: the residual block of a transformer in one pass.
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int? = nil,
                                 residual: UnsafePointer<Float>? = nil, bias: UnsafePointer<Float>? = nil,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
        let stride = stride ?? cols
        let n = Float(cols)
        for r in 0..<rows {
            let row = x + r * stride
            if let residual { RowOps.add(UnsafePointer(row), residual + r * cols, count: cols, into: row) }
            if let bias { RowOps.add(UnsafePointer(row), bias, count: cols, into: row) }
            let mean = sum(row, count: cols) / n
            var acc = Lanes(), i = 0
            while i + 8 <= cols {
                let d = load(row + i) - mean
                acc += d * d
                i += 8
            }
            var variance = acc.sum()
            while i < cols { let d = row[i] - mean; variance += d * d; i += 1 }
            let inv = 1 / (variance / n + eps).squareRoot()
            i = 0
            while i + 8 <= cols {
                store((load(row + i) - mean) * inv * load(gamma + i) + load(beta + i), row + i)
                i += 8
            }
            while i < cols { row[i] = (row[i] - mean) * inv * gamma[i] + beta[i]; i += 1 }
        }
    }

    /// Row-wise layer normalisation of a matrix, in place; `gamma` and `beta` have `cols` values.
    public static func layerNorm(_ m: inout Matrix, gamma: [Float], beta: [Float], eps: Float) {
        precondition(gamma.count == m.cols && beta.count == m.cols, "layerNorm: gamma/beta need \(m.cols) values")
        let (rows, cols) = (m.rows, m.cols)
        m.data.withUnsafeMutableBufferPointer { x in
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    guard let px = x.baseAddress, let pg = g.baseAddress, let pb = b.baseAddress else { return }
                    layerNorm(px, rows: rows, cols: cols, gamma: pg, beta: pb, eps: eps)
                }
            }
        }
    }

    // MARK: GELU

    /// The Gauss error function, as a rational minimax approximation on [-4, 4] (±1 outside),
    /// absolute error below 4e-7 in float32 (a few ulp near ±1). Evaluated on 8 lanes at once.
    @inline(__always)
    public static func erf(_ v: Lanes) -> Lanes {
        var x = v
        x.replace(with: 4, where: x .> 4)
        x.replace(with: -4, where: x .< -4)
        let x2 = x * x
        var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
        p = x2 * p - 2.10102402082508e-06
        p = x2 * p - 5.69250639462346e-05
        p = x2 * p - 7.34990630326855e-04
        p = x2 * p - 2.95459980854025e-03
        p = x2 * p - 1.60960333262415e-02
        var q = x2 * -1.45660718464996e-05 - 2.13374055278905e-04
        q = x2 * q - 1.68282697438203e-03
        q = x2 * q - 7.37332916720468e-03
        q = x2 * q - 1.42647390514189e-02
        return x * p / q
    }

    /// Scalar form of `erf(_:)`.
    public static func erf(_ x: Float) -> Float { erf(Lanes(repeating: x))[0] }

    /// GELU in its exact erf form, `x * (1 + erf(x / sqrt 2)) / 2` (not the tanh approximation), in place.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count) { gelu($0) }
    }

    /// `x = GELU(x + bias)` for each of `rows` contiguous rows of `cols` values (a layer's bias and
    /// activation in one pass).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * cols
            RowOps.add(UnsafePointer(row), bias, count: cols, into: row)
            gelu(row, count: cols)
        }
    }

    /// GELU of every element of a matrix, in place.
    public static func gelu(_ m: inout Matrix) {
        m.data.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { gelu(p, count: $0.count) } }
    }

    @inline(__always)
    static func gelu(_ v: Lanes) -> Lanes {
        0.5 * v * (1 + erf(v * 0.7071067811865476))
    }

    // MARK: Softmax

    /// Numerically stable softmax of each of `rows` rows of `cols` values (row starts `stride` apart), in place.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int? = nil) {
        let stride = stride ?? cols
        guard cols > 0 else { return }
        let padded = (cols + 7) / 8 * 8
        withUnsafeTemporaryAllocation(of: Float.self, capacity: padded) { buffer in
            let row = buffer.baseAddress!
            for r in 0..<rows {
                row.update(from: x + r * stride, count: cols)
                softmaxPaddedRows(row, rows: 1, cols: cols, stride: padded)
                (x + r * stride).update(from: row, count: cols)
            }
        }
    }

    /// Softmax of rows whose storage is padded to whole 8-lane vectors: `stride` is a multiple of 8
    /// and at least `cols`. Faster than `softmaxRows`; the padding values of each row
    /// (up to `cols` rounded up to 8) are overwritten with zeros.
    public static func softmaxPaddedRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int) {
        precondition(stride % 8 == 0 && stride >= cols, "softmaxPaddedRows: stride must be a multiple of 8, at least cols")
        guard cols > 0 else { return }
        let vectors = (cols + 7) / 8
        // Lanes at or past `cols` in the last vector are masked to -inf (their exp is zero).
        let outside = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(cols - 8 * (vectors - 1)))
        let last = 8 * (vectors - 1)
        for r in 0..<rows {
            let row = x + r * stride
            var tail = load(row + last)
            tail.replace(with: -.infinity, where: outside)
            var top = tail
            for v in 0..<(vectors - 1) {
                let next = load(row + 8 * v)
                top.replace(with: next, where: next .> top)
            }
            let shift = Lanes(repeating: top.max())
            var acc = Lanes()
            for v in 0..<(vectors - 1) {
                let e = exp(load(row + 8 * v) - shift)
                store(e, row + 8 * v)
                acc += e
            }
            tail = exp(tail - shift)
            tail.replace(with: 0, where: outside)
            acc += tail
            store(tail, row + last)
            let inv = Lanes(repeating: 1 / acc.sum())
            for v in 0..<vectors { store(load(row + 8 * v) * inv, row + 8 * v) }
        }
    }

    /// Row-wise softmax of a matrix, in place.
    public static func softmaxRows(_ m: inout Matrix) {
        let (rows, cols) = (m.rows, m.cols)
        m.data.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { softmaxRows(p, rows: rows, cols: cols) } }
    }

    // MARK: Exponential

    /// `e^x` on 8 lanes: Cephes' single-precision method (x = n·ln 2 + r, degree-5 polynomial on r,
    /// scaled by 2^n through the exponent bits), relative error about 1e-7. Inputs are clamped to
    /// about [-87.3, 88.4] (results stay normal; below, the true value is under 1.2e-38).
    @inline(__always)
    public static func exp(_ v: Lanes) -> Lanes {
        var x = v
        x.replace(with: 88.3762626647949, where: x .> 88.3762626647949)
        x.replace(with: -87.3365447505531, where: x .< -87.3365447505531)
        // n = round(x / ln 2): adding 1.5·2^23 leaves the rounded integer in the low mantissa bits.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p = r * 1.9875691500e-4 + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * (r * r) + r + 1
        let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return y * unsafeBitCast((exponent &+ 127) &<< 23, to: Lanes.self)
    }

    /// Scalar form of `exp(_:)`.
    public static func exp(_ x: Float) -> Float { exp(Lanes(repeating: x))[0] }

    // MARK: Helpers

    /// `x[i] = f(x[i])` over `count` values, 8 at a time (the tail padded with zeros).
    @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, _ f: (Lanes) -> Lanes) {
        var i = 0
        while i + 8 <= count {
            store(f(load(x + i)), x + i)
            i += 8
        }
        if i < count {
            var tail = Lanes()
            for j in i..<count { tail[j - i] = x[j] }
            tail = f(tail)
            for j in i..<count { x[j] = tail[j - i] }
        }
    }

    /// Lane-wise square root in SIMD instructions (`SIMD.squareRoot()` compiles to a scalar `sqrtf` call per lane).
    @inlinable @inline(__always) public static func squareRoot(_ v: Lanes) -> Lanes {
        #if arch(x86_64)
        Lanes(lowHalf: _mm_sqrt_ps(v.lowHalf), highHalf: _mm_sqrt_ps(v.highHalf))
        #else
        v.squareRoot()
        #endif
    }

    /// The 8 floats at `p` (no alignment needed), for SIMD loops over raw buffers in every module.
    @inlinable @inline(__always) public static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    @inlinable @inline(__always) public static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes { load(UnsafePointer(p)) }

    /// Writes the 8 lanes of `v` to `p` (no alignment needed).
    @inlinable @inline(__always) public static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }

    /// Sum of `count` floats.
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Lanes(), i = 0
        while i + 8 <= count { acc += load(p + i); i += 8 }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }

    static func sum(_ p: UnsafeMutablePointer<Float>, count: Int) -> Float { sum(UnsafePointer(p), count: count) }
}
