import TowerMath
import TowerModel
import TowerTestSupport
@testable import TowerTraining
import XCTest

/// Every hand-written gradient against central finite differences of a random linear loss.
final class GradientCheckTests: XCTestCase {
    /// Central difference of `loss` with respect to `x[i]`, in Double around Float32 evaluation.
    private func numeric(_ x: [Float], _ i: Int, step: Float = 1e-2, _ loss: ([Float]) -> Double) -> Double {
        var plus = x, minus = x
        plus[i] += step
        minus[i] -= step
        return (loss(plus) - loss(minus)) / Double(2 * step)
    }

    private func assertClose(_ analytic: Float, _ numeric: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = 2e-3 + 2e-2 * abs(numeric)
        XCTAssertEqual(Double(analytic), numeric, accuracy: tolerance, what, file: file, line: line)
    }

    private func weights(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in rng.nextGaussian() }
    }

    private static func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func testLayerNormGradients() {
        let rows = 3, cols = 7
        let x = weights(rows * cols, seed: 1), gain = weights(cols, seed: 2), bias = weights(cols, seed: 3)
        let c = weights(rows * cols, seed: 4)
        func forward(_ x: [Float], _ gain: [Float], _ bias: [Float]) -> (out: [Float], xhat: [Float], rstd: [Float]) {
            var xhat = [Float](repeating: 0, count: rows * cols), rstd = [Float](repeating: 0, count: rows)
            var out = xhat
            LayerOps.layerNormForward(x, rows: rows, cols: cols, gain: gain, bias: bias, eps: 1e-5,
                                      xhat: &xhat, rstd: &rstd, out: &out)
            return (out, xhat, rstd)
        }
        let f = forward(x, gain, bias)
        var dx = [Float](repeating: 0, count: rows * cols), dGain = [Float](repeating: 0, count: cols), dBias = dGain
        LayerOps.layerNormBackward(dOut: c, xhat: f.xhat, rstd: f.rstd, gain: gain, rows: rows, cols: cols,
                                   dx: &dx, dGain: &dGain, dBias: &dBias)
        for i in x.indices { assertClose(dx[i], numeric(x, i) { Self.dot(forward($0, gain, bias).out, c) }, "dx[\(i)]") }
        for i in 0..<cols {
            assertClose(dGain[i], numeric(gain, i) { Self.dot(forward(x, $0, bias).out, c) }, "dGain[\(i)]")
            assertClose(dBias[i], numeric(bias, i) { Self.dot(forward(x, gain, $0).out, c) }, "dBias[\(i)]")
        }
    }

    func testSoftmaxGradient() {
        let x = weights(6, seed: 5), c = weights(6, seed: 6)
        func forward(_ x: [Float]) -> [Float] {
            var y = x
            y.withUnsafeMutableBufferPointer { Activations_softmax($0.baseAddress!, 6) }
            return y
        }
        let y = forward(x)
        var dx = [Float](repeating: 0, count: 6)
        LayerOps.softmaxBackward(y: y, dy: c, count: 6, dx: &dx)
        for i in x.indices { assertClose(dx[i], numeric(x, i) { Self.dot(forward($0), c) }, "dx[\(i)]") }
    }

    func testL2NormalizeGradient() {
        let rows = 2, cols = 5
        let x = weights(rows * cols, seed: 7), c = weights(rows * cols, seed: 8)
        func forward(_ x: [Float]) -> (out: [Float], norms: [Float]) {
            var out = [Float](repeating: 0, count: rows * cols), norms = [Float](repeating: 0, count: rows)
            LayerOps.l2NormalizeForward(x, rows: rows, cols: cols, norms: &norms, out: &out)
            return (out, norms)
        }
        let f = forward(x)
        var dx = [Float](repeating: 0, count: rows * cols)
        LayerOps.l2NormalizeBackward(out: f.out, norms: f.norms, dOut: c, rows: rows, cols: cols, dx: &dx)
        for i in x.indices { assertClose(dx[i], numeric(x, i) { Self.dot(forward($0).out, c) }, "dx[\(i)]") }
    }

    /// Both contrastive losses, with respect to user vectors and item vectors (masks and logQ included).
    func testContrastiveLossGradients() {
        let d = 5, b = 4, itemCount = 6
        let users = weights(b * d, seed: 21), items = weights(itemCount * d, seed: 22)
        let positives: [Int32] = [0, 2, 2, 5], customers: [Int64] = [1, 2, 3, 1]
        let logQ: [Float] = [-1, -2, -0.5, -3], sampleWeights: [Float] = [1, 2, 0.5, 5]
        let candidates: [Int32] = [0, 1, 3, 2, 4, 0, 2, 1, 1, 5, 3, 4]
        for inBatch in [true, false] {
            func run(_ u: [Float], _ v: [Float]) -> (ContrastiveLoss.Result, [Float]) {
                var dItems = [Float](repeating: 0, count: itemCount * d)
                let r = u.withUnsafeBufferPointer { pu in
                    v.withUnsafeBufferPointer { pv in
                        dItems.withUnsafeMutableBufferPointer { di in
                            inBatch
                                ? ContrastiveLoss.inBatch(users: pu.baseAddress!, items: pv.baseAddress!, positives: positives,
                                                          customers: customers, logQ: logQ, weights: sampleWeights,
                                                          temperature: 0.5, dimension: d, dItems: di.baseAddress!)
                                : ContrastiveLoss.sampled(users: pu.baseAddress!, items: pv.baseAddress!, candidates: candidates,
                                                          perSample: 3, weights: sampleWeights, temperature: 0.5, dimension: d,
                                                          dItems: di.baseAddress!)
                        }
                    }
                }
                return (r, dItems)
            }
            let (result, dItems) = run(users, items)
            for i in users.indices {
                assertClose(result.dUsers[i], numeric(users, i, step: 1e-3) { Double(run($0, items).0.loss) }, "\(inBatch) dUsers[\(i)]")
            }
            for i in items.indices {
                assertClose(dItems[i], numeric(items, i, step: 1e-3) { Double(run(users, $0).0.loss) }, "\(inBatch) dItems[\(i)]")
            }
        }
    }

    /// The whole user tower: every parameter and every input vector, on a batch with shared rows,
    /// an unknown event type, and sequences of lengths 1, 3 and 5.
    func testWholeModelGradients() {
        let params = UserTowerFixture.randomParameters()
        let batch = UserTowerFixture.sharedRowBatch()
        let c = weights(batch.sequenceCount * params.config.dimension, seed: 9)
        func loss(_ p: UserTowerParameters, _ b: UserTowerBatch) -> Double {
            let pass = UserTowerPass(config: p.config, batch: b)
            pass.forward(p)
            return Self.dot(pass.output.array(), c)
        }
        let pass = UserTowerPass(training: params.config, batch: batch)
        pass.forward(params)
        var gradient = [Float](repeating: 0, count: params.values.count)
        let dx = pass.backward(params, dOutput: c, gradient: &gradient)

        for slot in params.slots {
            for i in slot.range {
                let n = numeric(params.values, i) { values in
                    var p = params
                    p.values = values
                    return loss(p, batch)
                }
                assertClose(gradient[i], n, "\(slot.name)[\(i - slot.offset)]")
            }
        }
        for i in batch.vectors.indices {
            let n = numeric(batch.vectors, i) { vectors in
                var b = batch
                b.vectors = vectors
                return loss(params, b)
            }
            assertClose(dx[i], n, "dx[\(i)]")
        }
    }

    /// The gradient is not trivially zero for the attention weights (the check above would pass vacuously).
    func testAttentionGradientsAreNonZero() {
        let params = UserTowerFixture.randomParameters()
        let batch = UserTowerFixture.sharedRowBatch()
        let pass = UserTowerPass(training: params.config, batch: batch)
        pass.forward(params)
        var gradient = [Float](repeating: 0, count: params.values.count)
        _ = pass.backward(params, dOutput: weights(batch.sequenceCount * 8, seed: 9), gradient: &gradient)
        for name in ["w_qk", "w_v", "w_o", "pool_query", "log_half_life", "type_embedding", "type_bias"] {
            let slot = params.slot(named: name)!
            XCTAssertGreaterThan(gradient[slot.range].map(abs).max()!, 1e-4, name)
        }
    }
}

private func Activations_softmax(_ p: UnsafeMutablePointer<Float>, _ n: Int) { Activations.softmaxRows(p, rows: 1, cols: n) }
