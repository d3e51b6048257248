/// Vector helpers on `[Float]`.
public enum VectorOps {
    /// Scales `x` to unit Euclidean length; a zero vector stays zero.
    public static func l2Normalized(_ x: [Float]) -> [Float] {
        let n = BLAS.norm(x)
        guard n > 0 else { return x }
        var y = x
        BLAS.scaleInPlace(&y, by: 1 / n)
        return y
    }

    /// Cosine similarity; 0 when either vector is zero.
    public static func cosine(_ x: [Float], _ y: [Float]) -> Float {
        let nx = BLAS.norm(x), ny = BLAS.norm(y)
        guard nx > 0, ny > 0 else { return 0 }
        return BLAS.dot(x, y) / (nx * ny)
    }
}
