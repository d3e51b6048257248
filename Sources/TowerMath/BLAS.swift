import COpenBLAS

/// Thin, checked wrappers over OpenBLAS. Every matrix product in Tower goes through here.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, with op the optional transpose. Shapes are checked.
    public static func gemm(_ a: Matrix, transA: Bool = false, _ b: Matrix, transB: Bool = false,
                            into c: inout Matrix, alpha: Float = 1, beta: Float = 0) {
        let m = transA ? a.cols : a.rows
        let k = transA ? a.rows : a.cols
        let kb = transB ? b.cols : b.rows
        let n = transB ? b.rows : b.cols
        precondition(k == kb, "gemm: inner dimensions differ (\(k) vs \(kb))")
        precondition(c.rows == m && c.cols == n, "gemm: output is \(c.rows)x\(c.cols), expected \(m)x\(n)")
        if m == 0 || n == 0 { return }
        if k == 0 { scaleInPlace(&c.data, by: beta); return }
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    cblas_sgemm(CblasRowMajor,
                                transA ? CblasTrans : CblasNoTrans,
                                transB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(a.cols),
                                pb.baseAddress, Int32(b.cols), beta,
                                pc.baseAddress, Int32(n))
                }
            }
        }
    }

    /// `op(A) * op(B)` as a new matrix.
    public static func matmul(_ a: Matrix, transA: Bool = false, _ b: Matrix, transB: Bool = false) -> Matrix {
        var c = Matrix(rows: transA ? a.cols : a.rows, cols: transB ? b.rows : b.cols)
        gemm(a, transA: transA, b, transB: transB, into: &c)
        return c
    }

    /// Strided batched GEMM over raw pointers, for per-head attention blocks inside larger buffers.
    /// `C[m×n] = alpha * op(A) * op(B) + beta * C` with explicit leading dimensions.
    public static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
                            b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Dot product of two equal-length vectors.
    public static func dot(_ x: [Float], _ y: [Float]) -> Float {
        precondition(x.count == y.count, "dot: lengths differ (\(x.count) vs \(y.count))")
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in cblas_sdot(Int32(x.count), px.baseAddress, 1, py.baseAddress, 1) }
        }
    }

    /// `y += alpha * x`.
    public static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) {
        precondition(x.count == y.count, "axpy: lengths differ (\(x.count) vs \(y.count))")
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in cblas_saxpy(Int32(x.count), alpha, px.baseAddress, 1, py.baseAddress, 1) }
        }
    }

    /// `x *= alpha`.
    public static func scaleInPlace(_ x: inout [Float], by alpha: Float) {
        x.withUnsafeMutableBufferPointer { px in cblas_sscal(Int32(px.count), alpha, px.baseAddress, 1) }
    }

    /// Euclidean norm.
    public static func norm(_ x: [Float]) -> Float {
        x.withUnsafeBufferPointer { px in cblas_snrm2(Int32(px.count), px.baseAddress, 1) }
    }

    /// Sets the number of OpenBLAS threads (1 inside the daemon and tests, all cores for batch work).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
