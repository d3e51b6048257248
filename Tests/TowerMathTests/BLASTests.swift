import XCTest
@testable import TowerMath

final class BLASTests: XCTestCase {
    func testGemmMatchesNaiveProductWithTransposes() {
        let a = Matrix(rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6])
        let b = Matrix(rows: 3, cols: 2, data: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(BLAS.matmul(a, b).data, [58, 64, 139, 154])
        XCTAssertEqual(BLAS.matmul(a.transposed(), transA: true, b.transposed(), transB: true).data, [58, 64, 139, 154])
    }

    func testNormalizeAndCosine() {
        let v = VectorOps.l2Normalized([3, 4])
        XCTAssertEqual(v[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(VectorOps.cosine([1, 0], [0, 2]), 0, accuracy: 1e-6)
        XCTAssertEqual(VectorOps.l2Normalized([0, 0]), [0, 0])
    }
}
