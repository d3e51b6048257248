import COpenBLAS

extension BLAS {
    /// Inverts a symmetric positive definite `n × n` matrix in place (LAPACK spotrf + spotri, both triangles
    /// filled on return). Returns false when the matrix is not positive definite.
    public static func invertSymmetricPositiveDefinite(_ a: inout [Float], n: Int) -> Bool {
        precondition(a.count == n * n, "invert: \(a.count) values for a \(n)×\(n) matrix")
        if n == 0 { return true }
        var info: Int32 = 0, size = Int32(n)
        let upper: CChar = 85 // "U" of the column-major view = lower triangle of the row-major matrix
        var uplo = upper
        a.withUnsafeMutableBufferPointer { p in
            spotrf_(&uplo, &size, p.baseAddress, &size, &info)
            if info == 0 { spotri_(&uplo, &size, p.baseAddress, &size, &info) }
        }
        guard info == 0 else { return false }
        // Column-major upper = row-major lower triangle holds the result; mirror it to the upper triangle.
        for i in 0..<n { for j in (i + 1)..<n { a[i * n + j] = a[j * n + i] } }
        return true
    }
}
