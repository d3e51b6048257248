/// Vector arithmetic in SIMD lanes (the ranking library links no BLAS).
enum VectorMath {
    /// Dot product in 8-wide SIMD lanes.
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different dimensions")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                guard let baseA = pa.baseAddress, let baseB = pb.baseAddress else { return 0 }
                var acc = SIMD8<Float>()
                var i = 0
                while i + 8 <= pa.count {
                    acc += UnsafeRawPointer(baseA + i).loadUnaligned(as: SIMD8<Float>.self)
                        * UnsafeRawPointer(baseB + i).loadUnaligned(as: SIMD8<Float>.self)
                    i += 8
                }
                var sum = acc.sum()
                while i < pa.count { sum += pa[i] * pb[i]; i += 1 }
                return sum
            }
        }
    }

    /// Cosine similarity as pgvector's `<=>` computes it (1 − distance): float sums, the quotient in double,
    /// clamped to −1…1; 0 for a zero vector. `queryNorm` is √(q·q) of the other operand, `vectorNorm` √(v·v) when
    /// the caller keeps it (computed otherwise).
    static func cosine(_ v: [Float], _ query: [Float], vectorNorm: Double? = nil, queryNorm: Double) -> Float {
        let norm = (vectorNorm ?? Double(dot(v, v)).squareRoot()) * queryNorm
        guard norm > 0 else { return 0 }
        return Float(min(1, max(-1, Double(dot(v, query)) / norm)))
    }
}
