import Foundation
import TowerMath

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

    func step(_ batch: SampleBatches.Batch, context: StepContext, gradient: inout [Float],
              towerAdam: inout Adam, itemAdam: inout Adam) -> Float {
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
        let rowLocal = batch.rowProducts.map(localRow)
        let targetLocal = batch.targets.map(localRow)
        var candidates: [Int32] = []
        if context.negatives == .random {
            let k = context.count + 1
            candidates.reserveCapacity(batch.targets.count * k)
            for (i, t) in targetLocal.enumerated() {
                candidates.append(t)
                let seen = context.interacted[batch.customers[i]] ?? []
                for _ in 0..<context.count { candidates.append(localRow(sampleNegative(excluding: seen))) }
            }
        }
        let (itemVectors, itemNorms) = itemVectors(products)
        var input = batch.input
        input.vectors = [Float](repeating: 0, count: rowLocal.count * d)
        input.vectors.withUnsafeMutableBufferPointer { x in
            itemVectors.withUnsafeBufferPointer { v in
                for (r, l) in rowLocal.enumerated() { (x.baseAddress! + r * d).update(from: v.baseAddress! + Int(l) * d, count: d) }
            }
        }
        let pass = UserTowerPass(config: config, batch: input, workspace: workspace, training: true)
        pass.forward(parameters)

        var dItems = [Float](repeating: 0, count: products.count * d)
        let result: ContrastiveLoss.Result = itemVectors.withUnsafeBufferPointer { v in
            dItems.withUnsafeMutableBufferPointer { di in
                switch context.negatives {
                case .inBatch:
                    return ContrastiveLoss.inBatch(users: pass.output.pointer, items: v.baseAddress!, positives: targetLocal,
                                                   customers: batch.customers, logQ: batch.targets.map { context.logQ[Int($0)] },
                                                   weights: batch.weights, temperature: options.temperature, dimension: d,
                                                   dItems: di.baseAddress!)
                case .random:
                    return ContrastiveLoss.sampled(users: pass.output.pointer, items: v.baseAddress!, candidates: candidates,
                                                   perSample: context.count + 1, weights: batch.weights,
                                                   temperature: options.temperature, dimension: d, dItems: di.baseAddress!)
                }
            }
        }
        let dRows = pass.backward(parameters, dOutput: result.dUsers, gradient: &gradient)
        towerAdam.step(&parameters.values, gradient: gradient)
        if options.trainItems {
            for (r, l) in rowLocal.enumerated() {
                for i in 0..<d { dItems[Int(l) * d + i] += dRows[r * d + i] }
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
        for (i, p) in rows.enumerated() {
            let o = Int(p) * d
            for x in 0..<d { raw[i * d + x] = catalog.vectors[o + x] + residuals[o + x] }
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
