import Foundation
import TowerMath

/// A single-precision GEMM `C[m×n] = A[m×k] · B[k×n]` on the calling thread, with its own buffers:
/// the machine's matrix-product rate next to what a benchmark achieves.
struct SGEMMBench {
    let a: Matrix, b: Matrix
    var c: Matrix

    init(m: Int, n: Int, k: Int) {
        var rng = SplitMix64(seed: 1)
        a = Matrix(rows: m, cols: k, data: (0..<m * k).map { _ in rng.nextUnit() })
        b = Matrix(rows: k, cols: n, data: (0..<k * n).map { _ in rng.nextUnit() })
        c = Matrix(rows: m, cols: n)
    }

    var flops: Double { Self.flops(m: a.rows, n: b.cols, k: a.cols) }

    /// One product; its rate in GFLOP/s.
    mutating func run() -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        BLAS.gemm(a, b, into: &c)
        return flops / Double(DispatchTime.now().uptimeNanoseconds - start)
    }

    /// The combined rate in GFLOP/s of `threads` threads each running `repeats` products of this shape at
    /// once, with single-threaded OpenBLAS (call `BLAS.setThreads(1)` first): total work over the span from
    /// the first thread's first timed product to the last thread's last (set-up and a warm-up run excluded).
    static func concurrentRate(m: Int, n: Int, k: Int, threads: Int, repeats: Int) -> Double {
        let spans = SpanRecorder()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var bench = SGEMMBench(m: m, n: n, k: k)
            _ = bench.run()
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repeats { _ = bench.run() }
            spans.record(start, DispatchTime.now().uptimeNanoseconds)
        }
        return SGEMMBench.flops(m: m, n: n, k: k) * Double(repeats * threads) / spans.nanoseconds
    }

    static func flops(m: Int, n: Int, k: Int) -> Double { 2 * Double(m * n * k) }
}

/// The span covered by several threads' timed intervals.
private final class SpanRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var first = UInt64.max, last = UInt64(0)

    func record(_ start: UInt64, _ end: UInt64) {
        lock.withLock { first = min(first, start); last = max(last, end) }
    }

    var nanoseconds: Double { lock.withLock { Double(last - first) } }
}
