import Foundation
import TowerEvaluation
import TowerModel

/// Target events grouped into chunks of consecutive targets of one customer, and the assembly of a
/// forward-pass batch from chunks: a chunk's histories are overlapping windows of the customer's log, so
/// the chunk's rows are one contiguous run of the log and every history is a sub-run of it.
struct SampleBatches {
    /// A run of consecutive target events of one customer.
    struct Chunk { var samples: Range<Int> }

    /// One assembled batch.
    struct Batch {
        var input: UserTowerBatch
        /// Catalog row of each input row's product.
        var rowProducts: [Int32]
        /// Per sequence: the target event, its catalog row, customer and sample weight.
        var events: [Int]
        var targets: [Int32]
        var customers: [Int64]
        var weights: [Float]
    }

    let log: EventLog
    /// Target events, grouped by customer, log order within a customer.
    let samples: [Int]
    let chunks: [Chunk]
    /// Model type index and ln(weight) per `log.eventNames` entry.
    let typeIndex: [Int32]
    let logWeight: [Float]
    let weight: [Float]

    /// `events` are the target events (each with a non-empty history).
    init(log: EventLog, events: [Int], model: UserTowerModel, chunkSize: Int) {
        self.log = log
        samples = events.sorted { log.slot[$0] < log.slot[$1] }
        var chunks: [Chunk] = []
        var start = 0
        for i in samples.indices where i > 0 {
            if log.customers[samples[i]] != log.customers[samples[start]] || i - start == chunkSize {
                chunks.append(Chunk(samples: start ..< i))
                start = i
            }
        }
        if !samples.isEmpty { chunks.append(Chunk(samples: start ..< samples.count)) }
        self.chunks = chunks
        typeIndex = log.eventNames.map { model.typeIndex(of: $0) }
        weight = log.eventNames.map { model.weight(of: $0) }
        logWeight = weight.map { Foundation.log(max($0, .leastNormalMagnitude)) }
    }

    /// The batch made of these chunks; `vectors` is left empty (the caller fills it from the current item vectors).
    func batch(_ chosen: ArraySlice<Int>) -> Batch {
        var b = Batch(input: UserTowerBatch(vectors: [], types: [], logWeights: [], starts: [], counts: [], ages: []),
                      rowProducts: [], events: [], targets: [], customers: [], weights: [])
        for c in chosen {
            let range = chunks[c].samples
            let first = samples[range.lowerBound], last = samples[range.upperBound - 1]
            let rowSlots = Int(log.historyStart[first]) ..< Int(log.historyEnd[last])
            let base = b.rowProducts.count - rowSlots.lowerBound
            for s in rowSlots {
                let e = log.event(atSlot: s), t = Int(log.types[e])
                b.rowProducts.append(log.products[e])
                b.input.types.append(typeIndex[t])
                b.input.logWeights.append(logWeight[t])
            }
            for e in samples[range] {
                let history = log.history(of: e)
                b.input.starts.append(base + history.lowerBound)
                b.input.counts.append(history.count)
                for s in history { b.input.ages.append(Float(log.times[e] - log.times[log.event(atSlot: s)]) * 1e-6) }
                b.events.append(e)
                b.targets.append(log.products[e])
                b.customers.append(log.customers[e])
                b.weights.append(weight[Int(log.types[e])])
            }
        }
        return b
    }

    /// A batch's chunks cut into at most `parts` runs of about equal sample counts (none empty).
    func split(_ chosen: ArraySlice<Int>, parts: Int) -> [ArraySlice<Int>] {
        let total = chosen.reduce(0) { $0 + chunks[$1].samples.count }
        var result: [ArraySlice<Int>] = []
        var start = chosen.startIndex, count = 0
        for i in chosen.indices {
            count += chunks[chosen[i]].samples.count
            if result.count < parts - 1, count * parts >= total * (result.count + 1) {
                result.append(chosen[start...i])
                start = i + 1
            }
        }
        if start < chosen.endIndex { result.append(chosen[start...]) }
        return result
    }

    /// Chunk indices cut into batches of about `size` samples, in the given chunk order.
    func batches(order: [Int], size: Int) -> [ArraySlice<Int>] {
        var result: [ArraySlice<Int>] = []
        var start = 0, count = 0
        for (i, c) in order.enumerated() {
            let n = chunks[c].samples.count
            if count > 0, count + n > size {
                result.append(order[start ..< i])
                start = i
                count = 0
            }
            count += n
        }
        if start < order.count { result.append(order[start...]) }
        return result
    }
}
