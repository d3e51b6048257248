import Foundation
import TowerEvaluation
import TowerMath
import TowerModel

/// The scratch state of one parallel part of a training step (touched by one thread at a time, hence
/// `@unchecked Sendable`).
final class PartState: @unchecked Sendable {
    let workspace = Workspace()
    var gradient: [Float]
    var dOutput: [Float] = []
    var dRows: [Float] = []

    init(parameterCount: Int) { gradient = [Float](repeating: 0, count: parameterCount) }
}

/// One optimisation step of `Trainer`: item vectors of the batch, forward pass, loss, backward pass, Adam.
extension Trainer {
    /// Per-run data the step needs: logQ per catalog row and each customer's interacted products.
    struct StepContext {
        let logQ: [Float]
        let interacted: [Int64: Set<Int32>]
        let negatives: NegativeSampling
        let count: Int

        init(log: EventLog, train: SampleBatches, negatives: NegativeSampling, count: Int) {
            var frequency = [Float](repeating: 0, count: Int(log.products.max() ?? 0) + 1)
            for e in train.samples { frequency[Int(log.products[e])] += 1 }
            let total = Float(train.samples.count)
            logQ = frequency.map { Foundation.log(max($0, 1) / total) }
            var interacted: [Int64: Set<Int32>] = [:]
            if negatives == .random { for e in 0..<log.count { interacted[log.customers[e], default: []].insert(log.products[e]) } }
            self.interacted = interacted
            self.negatives = negatives
            self.count = count
        }
    }

    /// One step on a batch cut into `parts` (computed in parallel, one thread each); returns the batch loss.
    func step(_ parts: [SampleBatches.Batch], context: StepContext, towerAdam: inout Adam, itemAdam: inout Adam) -> Float {
        let d = catalog.dimension
        // Local item table: every product the batch reads or scores.
        var local: [Int32: Int32] = [:], products: [Int32] = []
        func localRow(_ p: Int32) -> Int32 {
            if let r = local[p] { return r }
            let r = Int32(products.count)
            local[p] = r
            products.append(p)
            return r
        }
        let rowLocals = parts.map { $0.rowProducts.map(localRow) }
        let targets = parts.flatMap(\.targets), customers = parts.flatMap(\.customers), weights = parts.flatMap(\.weights)
        let targetLocal = targets.map(localRow)
        var candidates: [Int32] = []
        if context.negatives == .random {
            candidates.reserveCapacity(targets.count * (context.count + 1))
            for (i, t) in targetLocal.enumerated() {
                candidates.append(t)
                let seen = context.interacted[customers[i]] ?? []
                for _ in 0..<context.count { candidates.append(localRow(sampleNegative(excluding: seen))) }
            }
        }
        let (itemVectors, itemNorms) = itemVectors(products)

        // Forward, per part in parallel.
        let passes = parts.indices.map { i -> UserTowerPass in
            var input = parts[i].input
            input.vectors = [Float](repeating: 0, count: rowLocals[i].count * d)
            input.vectors.withUnsafeMutableBufferPointer { x in
                itemVectors.withUnsafeBufferPointer { v in
                    for (r, l) in rowLocals[i].enumerated() { (x.baseAddress! + r * d).update(from: v.baseAddress! + Int(l) * d, count: d) }
                }
            }
            return UserTowerPass(training: config, batch: input, workspace: parallelState[i].workspace)
        }
        let weightsNow = parameters
        Self.parallel(passes.count) { passes[$0].forward(weightsNow) }
        let users = passes.flatMap { $0.output.array() }

        // Loss over the whole batch.
        var dItems = [Float](repeating: 0, count: products.count * d)
        let result: ContrastiveLoss.Result = users.withUnsafeBufferPointer { u in
            itemVectors.withUnsafeBufferPointer { v in
                dItems.withUnsafeMutableBufferPointer { di in
                    switch context.negatives {
                    case .inBatch:
                        return ContrastiveLoss.inBatch(users: u.baseAddress!, items: v.baseAddress!, positives: targetLocal,
                                                       customers: customers, logQ: targets.map { context.logQ[Int($0)] },
                                                       weights: weights, temperature: options.temperature, dimension: d,
                                                       dItems: di.baseAddress!)
                    case .random:
                        return ContrastiveLoss.sampled(users: u.baseAddress!, items: v.baseAddress!, candidates: candidates,
                                                       perSample: context.count + 1, weights: weights,
                                                       temperature: options.temperature, dimension: d, dItems: di.baseAddress!)
                    }
                }
            }
        }

        // Backward, per part in parallel; the parts' gradients are summed.
        var offset = 0
        for (i, pass) in passes.enumerated() {
            let n = pass.sequences * d
            parallelState[i].dOutput = Array(result.dUsers[offset ..< offset + n])
            offset += n
        }
        let states = parallelState
        Self.parallel(passes.count) { i in
            let state = states[i]
            state.gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            state.dRows = passes[i].backward(weightsNow, dOutput: state.dOutput, gradient: &state.gradient)
        }
        var gradient = parallelState[0].gradient
        gradient.withUnsafeMutableBufferPointer { sum in
            for state in parallelState.dropFirst().prefix(passes.count - 1) {
                state.gradient.withUnsafeBufferPointer { RowOps.accumulate($0.baseAddress!, count: sum.count, into: sum.baseAddress!) }
            }
        }
        towerAdam.step(&parameters.values, gradient: gradient)
        if options.trainItems {
            dItems.withUnsafeMutableBufferPointer { di in
                for (i, rows) in rowLocals.enumerated() {
                    parallelState[i].dRows.withUnsafeBufferPointer { dr in
                        for (r, l) in rows.enumerated() {
                            RowOps.accumulate(dr.baseAddress! + r * d, count: d, into: di.baseAddress! + Int(l) * d)
                        }
                    }
                }
            }
            // Through the normalisation v = (t + r) / |t + r|.
            var dResiduals = [Float](repeating: 0, count: products.count * d)
            itemVectors.withUnsafeBufferPointer { v in
                dItems.withUnsafeBufferPointer { g in
                    itemNorms.withUnsafeBufferPointer { n in
                        dResiduals.withUnsafeMutableBufferPointer { dr in
                            LayerOps.l2NormalizeBackward(out: v.baseAddress!, norms: n.baseAddress!, dOut: g.baseAddress!,
                                                         rows: products.count, cols: d, dx: dr.baseAddress!)
                        }
                    }
                }
            }
            itemAdam.step(&residuals, rows: products, gradients: dResiduals)
        }
        return result.loss
    }

    /// Runs `body(0 ..< n)` on `n` threads (inline when n is 1).
    static func parallel(_ n: Int, _ body: @Sendable (Int) -> Void) {
        if n == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: n, execute: body) }
    }

    func sampleNegative(excluding seen: Set<Int32>) -> Int32 {
        while true {
            let p = Int32(rng.nextIndex(catalog.count))
            if catalog.active[Int(p)], !seen.contains(p) { return p }
        }
    }

    /// Unit item vectors normalize(text + residual) of catalog rows, and the norms before normalising.
    func itemVectors(_ rows: [Int32]) -> (vectors: [Float], norms: [Float]) {
        let d = catalog.dimension
        var raw = [Float](repeating: 0, count: rows.count * d)
        raw.withUnsafeMutableBufferPointer { out in
            catalog.vectors.withUnsafeBufferPointer { text in
                residuals.withUnsafeBufferPointer { residual in
                    for (i, p) in rows.enumerated() {
                        let o = Int(p) * d
                        RowOps.add(text.baseAddress! + o, residual.baseAddress! + o, count: d, into: out.baseAddress! + i * d)
                    }
                }
            }
        }
        var out = raw, norms = [Float](repeating: 0, count: rows.count)
        raw.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                norms.withUnsafeMutableBufferPointer { n in
                    LayerOps.l2NormalizeForward(r.baseAddress!, rows: rows.count, cols: d, norms: n.baseAddress!, out: o.baseAddress!)
                }
            }
        }
        return (out, norms)
    }
}
