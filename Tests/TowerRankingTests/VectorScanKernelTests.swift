import CTowerVectorScan
import TowerMath
import XCTest

/// The C kernels of the catalog snapshot's scans against sums in Swift, through every implementation this CPU runs.
final class VectorScanKernelTests: XCTestCase {
    func testEveryInt4ScanReturnsTheRowsAboveTheThresholdWithTheirExactEstimates() {
        var rng = SplitMix64(seed: 3)
        var ran: Set<Int32> = []
        for dim in [1, 5, 64, 127, 128, 200, 384] {
            let rows = 37
            let codes = (0..<rows).map { _ in (0..<dim).map { _ in Int8.random(in: -7...7, using: &rng) } }
            let query = (0..<dim).map { _ in Int8.random(in: -127...127, using: &rng) }
            let scales = (0..<rows).map { _ in Float.random(in: 0.5...2, using: &rng) }
            let bytes = Int(tower_i4_bytes(Int32(dim)))
            XCTAssertEqual(bytes, (dim + 127) / 128 * 64)
            var packed = [UInt8](repeating: 0, count: rows * bytes)
            packed.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows { tower_pack_i4(codes[r], Int32(dim), out.baseAddress! + r * bytes) }
            }
            let expected = (0..<rows).map { r in
                scales[r] * Float(zip(codes[r], query).reduce(Int32(0)) { $0 + Int32($1.0) * Int32($1.1) })
            }
            let threshold = expected.sorted()[rows / 2]
            let above = expected.indices.filter { expected[$0] > threshold }
            for variant: Int32 in 0...2 {
                var indices = [Int64](repeating: -1, count: rows), estimates = [Float](repeating: 0, count: rows)
                let kept = tower_scan_i4_variant(variant, packed, Int32(dim), Int64(rows), query, scales, threshold, &indices, &estimates)
                guard kept >= 0 else { continue }  // this CPU lacks it
                ran.insert(variant)
                XCTAssertEqual(indices.prefix(Int(kept)).map { Int($0) }, above, "dim \(dim), variant \(variant)")
                XCTAssertEqual(Array(estimates.prefix(Int(kept))), above.map { expected[$0] }, "dim \(dim), variant \(variant)")
                XCTAssertEqual(tower_scan_i4_variant(variant, packed, Int32(dim), Int64(rows), query, scales, -.infinity, &indices, &estimates),
                               Int64(rows), "no threshold: every row")
            }
        }
        XCTAssertTrue(ran.contains(0), "the portable scan runs everywhere")
        let kernel = String(cString: tower_scan_kernel())
        XCTAssertTrue(["AVX-512 VNNI": ran.contains(2), "AVX2": ran.contains(1), "portable": true][kernel] ?? false,
                      "the chosen kernel (\(kernel)) is one that ran")
    }

    func testTheInt8ScanEqualsTheSums() {
        var rng = SplitMix64(seed: 4)
        for dim in [3, 64, 100, 384] {  // whole 64-byte blocks take the VNNI path where the CPU has it
            let rows = 29
            let codes = (0..<rows * dim).map { _ in Int8.random(in: -127...127, using: &rng) }
            let query = (0..<dim).map { _ in Int8.random(in: -127...127, using: &rng) }
            var out = [Int32](repeating: 0, count: rows)
            tower_scan_i8(codes, Int32(dim), Int64(rows), query, &out)
            let expected = (0..<rows).map { r -> Int32 in
                var sum: Int32 = 0
                for i in 0..<dim { sum += Int32(codes[r * dim + i]) * Int32(query[i]) }
                return sum
            }
            XCTAssertEqual(out, expected, "dim \(dim)")
        }
    }
}
