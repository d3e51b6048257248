import ArgumentParser
import Foundation
import TowerConfig
import TowerEvaluation
import TowerMath
import TowerModel
import TowerTraining

/// `tower bench model`: user tower forward pass (1 and 256 users) against single-thread SGEMM, and training speed.
struct BenchModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Benchmark the user tower forward pass and training.",
        discussion: """
        Measures this machine's single-thread SGEMM rate, then the user tower's forward pass for one user and for \
        a batch of users (20 interactions each, default configuration, one OpenBLAS thread as in towerd): \
        microseconds per call and achieved GFLOP/s of its matrix products, as a share of the SGEMM rate. Then \
        trains one epoch on a generated event log and reports samples/s (wall clock and per CPU-second, since \
        the machine may be shared). Nothing touches the database.
        """)

    @Option(help: "Timed calls per measurement (the median and the best are shown).") var repeats = 100
    @Option(help: "Users in the batched forward pass.") var batch = 256
    @Option(help: "Events of the generated training log (0 skips the training benchmark).") var trainEvents = 200_000
    @Option(help: "Training threads, each with single-threaded OpenBLAS (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        try await runReportingErrors {
            print(BLASKernel.current)
            BLAS.setThreads(1)
            let config = UserTowerConfig(eventNames: EventTypes.default.names)
            var parameters = UserTowerParameters(config: config)
            var rng = SplitMix64(seed: 3)
            for i in parameters.slot(named: "w_o")!.range { parameters.values[i] = 0.05 * rng.nextGaussian() }
            let model = UserTowerModel(parameters: parameters, eventWeights: EventTypes.default.weights, version: "bench")
            var sgemm = SGEMMBench(m: 1024, n: 1024, k: 1024)
            print("user tower: \(config.heads) heads, attention width \(config.attentionDimension), vectors \(config.dimension); "
                  + "rounds of 10 timed forward calls alternate with single-thread 1024×1024×1024 SGEMMs so both see the same machine load")
            for users in [1, batch] {
                let histories = (0..<users).map { _ in Self.history(rng: &rng, dimension: config.dimension) }
                let flops = model.forwardFLOPs(historyLengths: histories.map(\.count))
                _ = model.encode(histories)
                var times: [Double] = [], sgemmBest = 0.0
                for round in 0..<max(1, repeats / 10) {
                    sgemmBest = max(sgemmBest, sgemm.run(), sgemm.run())
                    _ = model.encode(histories)  // caches warm again after the SGEMM
                    for _ in 0 ..< min(10, repeats - 10 * round) {
                        let start = DispatchTime.now().uptimeNanoseconds
                        _ = model.encode(histories)
                        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
                    }
                }
                times.sort()
                let median = times[times.count / 2], best = times[0]
                print(String(format: "forward, %3d user%@ × 20 interactions, 1 thread: median %9.1f µs, best %9.1f µs; "
                             + "%.1f MFLOP → %.1f GFLOP/s at the best time, %.1f at the median; SGEMM %.1f GFLOP/s → %.0f%% of it",
                             users, users == 1 ? " " : "s", median, best, flops / 1e6, flops / best / 1e3,
                             flops / median / 1e3, sgemmBest, 100 * flops / best / 1e3 / sgemmBest))
            }
            if trainEvents > 0 { try benchTraining() }
        }
    }

    static func history(rng: inout SplitMix64, dimension: Int) -> [TowerInteraction] {
        (0..<20).map { i in
            TowerInteraction(productVector: VectorOps.l2Normalized((0..<dimension).map { _ in rng.nextGaussian() }),
                             eventName: EventTypes.default.names[rng.nextIndex(3)], ageSeconds: Float(i * 300))
        }
    }

    /// One epoch on a generated log: customers browse in sessions, mostly inside a few product clusters.
    func benchTraining() throws {
        BLAS.setThreads(1)
        var rng = SplitMix64(seed: 9)
        let dimension = 384, productCount = 10_000, clusters = 50
        let centers = (0..<clusters).map { _ in (0..<dimension).map { _ in rng.nextGaussian() } }
        let catalog = CatalogVectors(dimension: dimension, products: (0..<productCount).map { p in
            (id: Int64(p + 1), vector: centers[p % clusters].map { $0 + 0.7 * rng.nextGaussian() }, active: true)
        })
        var events: [LoggedEvent] = []
        var customer: Int64 = 0
        while events.count < trainEvents {
            customer += 1
            var time = Int64(rng.nextIndex(30 * 86_400)) * 1_000_000
            let liked = (0..<3).map { _ in rng.nextIndex(clusters) }
            for _ in 0 ..< 1 + rng.nextIndex(4) {
                for _ in 0 ..< 2 + rng.nextIndex(10) {
                    let cluster = liked[rng.nextIndex(3)]
                    let product = Int64(cluster + clusters * rng.nextIndex(productCount / clusters) + 1)
                    events.append(LoggedEvent(customerID: customer, productID: product, eventName: EventTypes.default.names[rng.nextIndex(3)], time: time))
                    time += Int64(30 + rng.nextIndex(600)) * 1_000_000
                }
                time += Int64(rng.nextIndex(4 * 86_400)) * 1_000_000
            }
        }
        events.sort { $0.time < $1.time }
        let log = EventLog(events: Array(events.prefix(trainEvents)), catalog: catalog, eventNames: EventTypes.default.names, windowSeconds: 2 * 86_400)
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.threads = max(1, threads)
        let trainer = try Trainer(log: log, catalog: catalog, eventNames: EventTypes.default.names, eventWeights: EventTypes.default.weights, options: options)
        var samples = 0
        let start = Date(), cpuStart = BenchEncoderCommand.cpuSeconds()
        var trainSeconds = 0.0, trainCPU = 0.0
        _ = try trainer.train(progress: { p in
            samples = p.samplesDone
            if p.samplesDone == p.samplesPerEpoch {
                trainSeconds = Date().timeIntervalSince(start)
                trainCPU = BenchEncoderCommand.cpuSeconds() - cpuStart
            }
        })
        print(String(format: "training, %d events (%d samples), default options, %d threads: %.0f samples/s "
                     + "(%.1f s wall), %.0f samples per CPU-second", log.count, samples, threads, Double(samples) / trainSeconds,
                     trainSeconds, Double(samples) / trainCPU))
    }
}
