import Foundation
import XCTest
@testable import TowerMath

final class ActivationsTests: XCTestCase {
    func testErfMatchesTheLibraryFunction() {
        var worst = 0.0
        for i in -6000...6000 {
            let x = Double(i) / 1000
            worst = max(worst, abs(Double(Activations.erf(Float(x))) - Foundation.erf(x)))
        }
        XCTAssertLessThan(worst, 4e-7)
        XCTAssertEqual(Activations.erf(Float(100)), 1)
        XCTAssertEqual(Activations.erf(Float(-100)), -1)
    }

    func testGeluUsesTheErfFormOnEveryElementIncludingTheTail() {
        // 19 values: two full 8-lane blocks and a 3-value tail.
        let xs: [Float] = (0..<19).map { Float($0) * 0.5 - 4.5 }
        var m = Matrix(rows: 1, cols: xs.count, data: xs)
        Activations.gelu(&m)
        for (x, y) in zip(xs, m.data) {
            let exact = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            XCTAssertEqual(Double(y), exact, accuracy: 1e-6, "gelu(\(x))")
        }
        // The tanh approximation differs from the erf form by ~1e-4 around |x| = 2: make sure we are not it.
        let tanhForm = 0.5 * 2.0 * (1 + tanh((2 / Double.pi).squareRoot() * (2 + 0.044715 * 8)))
        XCTAssertGreaterThan(abs(Double(m.data[13]) - tanhForm), 1e-5)
    }

    func testLayerNormNormalisesEachRowThenScalesAndShifts() {
        let cols = 11
        var m = Matrix(rows: 2, cols: cols, data: (0..<(2 * cols)).map { Float(($0 * 7) % 13) - 3 })
        let original = m
        let gamma = (0..<cols).map { 1 + Float($0) / 10 }
        let beta = (0..<cols).map { Float($0) / 100 - 0.05 }
        Activations.layerNorm(&m, gamma: gamma, beta: beta, eps: 1e-5)
        for r in 0..<2 {
            let row = original.row(r).map(Double.init)
            let mean = row.reduce(0, +) / Double(cols)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cols)
            for c in 0..<cols {
                let expected = (row[c] - mean) / (variance + 1e-5).squareRoot() * Double(gamma[c]) + Double(beta[c])
                XCTAssertEqual(Double(m[r, c]), expected, accuracy: 1e-5)
            }
        }
    }

    func testLayerNormOfAConstantRowIsBeta() {
        var m = Matrix(rows: 1, cols: 9, data: [Float](repeating: 3, count: 9))
        Activations.layerNorm(&m, gamma: [Float](repeating: 2, count: 9), beta: [Float](repeating: 0.5, count: 9), eps: 1e-12)
        XCTAssertEqual(m.data, [Float](repeating: 0.5, count: 9))
    }

    func testExpMatchesTheLibraryFunction() {
        var worst = 0.0
        for i in -8700...8800 {
            let x = Double(i) / 100
            let got = Double(Activations.exp(Float(x))), want = Foundation.exp(Double(Float(x)))
            worst = max(worst, abs(got - want) / want)
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(Activations.exp(Float(0)), 1)
        XCTAssertEqual(Activations.exp(Float(-1000)), 0, accuracy: 1e-37)
        XCTAssertFalse(Activations.exp(Float(1000)).isInfinite)
    }

    func testSoftmaxIsStableAndSumsToOne() {
        var m = Matrix(rows: 2, cols: 3, data: [1000, 1001, 1002, -5, 0, 5])
        Activations.softmaxRows(&m)
        let e = [exp(-2.0), exp(-1.0), 1]
        let total = e.reduce(0, +)
        for c in 0..<3 { XCTAssertEqual(Double(m[0, c]), e[c] / total, accuracy: 1e-6) }
        XCTAssertFalse(m.data.contains { $0.isNaN })
        XCTAssertEqual(m.row(1).reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertGreaterThan(m[1, 2], m[1, 1])
    }

    func testSoftmaxOfLongRowsMatchesDoublePrecision() {
        let cols = 27
        let values = (0..<(2 * cols)).map { Float(($0 * 37) % 23) * 0.7 - 8 }
        var m = Matrix(rows: 2, cols: cols, data: values)
        Activations.softmaxRows(&m)
        for r in 0..<2 {
            let row = values[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let top = row.max()!
            let total = row.map { Foundation.exp($0 - top) }.reduce(0, +)
            for c in 0..<cols { XCTAssertEqual(Double(m[r, c]), Foundation.exp(row[c] - top) / total, accuracy: 1e-7) }
        }
    }

    func testSoftmaxOnStridedBlockLeavesTheRestAlone() {
        var buffer: [Float] = [0, 0, 9, 0, 0, 9]
        buffer.withUnsafeMutableBufferPointer { Activations.softmaxRows($0.baseAddress!, rows: 2, cols: 2, stride: 3) }
        XCTAssertEqual(buffer, [0.5, 0.5, 9, 0.5, 0.5, 9])
    }
}
