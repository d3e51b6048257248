/// Element-wise helpers over row-major blocks, for bias and residual terms around GEMMs
/// (fill the output with `residual + bias`, then accumulate the product with `beta = 1`).
public enum RowOps {
    public typealias Lanes = Activations.Lanes

    /// Sets each of `rows` rows of `c` (row starts `ldc` apart) to `bias` (`cols` values).
    public static func broadcast(_ bias: UnsafePointer<Float>, rows: Int, cols: Int,
                                 into c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        let ldc = ldc ?? cols
        for r in 0..<rows { (c + r * ldc).update(from: bias, count: cols) }
    }

    /// `c[r] = a[r] + bias` for each row (`a` and `c` are `rows × cols`, contiguous; they may be the same buffer).
    public static func addRows(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, cols: Int,
                               into c: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { add(a + r * cols, bias, count: cols, into: c + r * cols) }
    }

    /// `c = a + b` over `count` values (`c` may alias `a` or `b`).
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                           into c: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            Activations.store(Activations.load(a + i) + Activations.load(b + i), c + i)
            i += 8
        }
        while i < count { c[i] = a[i] + b[i]; i += 1 }
    }

    /// `c += a` over `count` values.
    public static func accumulate(_ a: UnsafePointer<Float>, count: Int, into c: UnsafeMutablePointer<Float>) {
        add(a, UnsafePointer(c), count: count, into: c)
    }
}
