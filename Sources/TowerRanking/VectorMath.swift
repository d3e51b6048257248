/// Vector arithmetic in SIMD lanes (the ranking library links no BLAS).
enum VectorMath {
    /// Dot product in 8-wide SIMD lanes.
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different dimensions")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                guard let baseA = pa.baseAddress, let baseB = pb.baseAddress else { return 0 }
                return dot(baseA, baseB, count: pa.count)
            }
        }
    }

    /// Dot product of `count` floats at `a` and `b`.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var sum = acc.sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// Cosine similarity as pgvector's `<=>` computes it (1 − distance): float sums, the quotient in double,
    /// clamped to −1…1; 0 for a zero vector. `queryNorm` is √(q·q) of the other operand.
    static func cosine(_ v: [Float], _ query: [Float], queryNorm: Double) -> Float {
        cosine(dot: dot(v, query), norms: Double(dot(v, v)).squareRoot() * queryNorm)
    }

    /// The cosine of a dot product and the product of the two norms.
    @inline(__always)
    static func cosine(dot: Float, norms: Double) -> Float {
        norms > 0 ? Float(min(1, max(-1, Double(dot) / norms))) : 0
    }
}
