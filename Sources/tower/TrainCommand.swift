import ArgumentParser
import Foundation
import TowerCLI
import TowerConfig
import TowerEvaluation
import TowerMath
import TowerModel
import TowerRerank
import TowerStore
import TowerTraining
import TowerOfflineUseCases

/// `tower train`: trains the user tower (and the item residuals), then the re-ranker, on the event log.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the user tower and the re-ranker on the event log.",
        discussion: """
        Reads the events before --until (default: the time at which 90% of logged events precede). Each event \
        with a non-empty history is a sample: its history is what the daemon would have seen at that moment \
        (the 20 most recent earlier interactions inside --window); its product is the positive. Adam on \
        mini-batches with a fixed seed; the most recent 10% of samples are the validation split (early stopping \
        on Recall@20). Then the second stage, the re-ranker: on those most recent 10% of events (neighbours and \
        trending fitted on the events before them) it learns which signals matter for this shop (cosine, repeat, \
        co-visitation, popularity, …) from the candidates the serving path generates. Writes both stages into the \
        weights file atomically (default: TOWER_MODEL_PATH), recomputes the product_trending and product_neighbors \
        tables from the whole event log (and the item-vector neighbours of the new model, kind similar) and \
        publishes the re-ranker to the database. Then: `tower evaluate`, \
        reload towerd (SIGHUP), and `tower users refresh` to publish the item vectors and recompute user vectors. \
        See docs/model.md.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Train on events before this time (ISO 8601). Default: the time at which 90% of logged events precede.")
    var until: String?
    @Option(help: "Recent-interaction window of the histories (default: TOWER_WINDOW, 2d).") var window: String?
    @Option(help: "Weights file to write (default: TOWER_MODEL_PATH).") var out: String?
    @Option(help: "Negatives: in-batch (with logQ correction) or random.") var negatives: NegativeSampling = .inBatch
    @Option(help: "Maximum epochs (early stopping usually ends sooner).") var epochs: Int = TrainingOptions().maxEpochs
    @Option(help: "Samples per mini-batch.") var batchSize: Int = TrainingOptions().batchSize
    @Option(help: "Attention heads (must divide the vector width).") var heads: Int = TrainingOptions().heads
    @Option(help: "Query/key width over all heads (must be divisible by --heads).") var attentionDimension: Int = TrainingOptions().attentionDimension
    @Option(help: "Consecutive target events of one customer per chunk (their histories share rows).") var chunkSize: Int = TrainingOptions().chunkSize
    @Option(help: "Adam learning rate of the user tower.") var learningRate: Float = TrainingOptions().learningRate
    @Option(help: "Adam learning rate of the per-product residuals.") var itemLearningRate: Float = TrainingOptions().itemLearningRate
    @Flag(help: "Do not learn per-product residuals (the served vectors stay the text vectors).") var noItemSide = false
    @Option(help: "Random seed (same data and seed give the same model).") var seed: UInt64 = TrainingOptions().seed
    @Option(help: "Stop after this long (e.g. 10m), keeping the best epoch so far.") var timeLimit: String?
    @Flag(help: "Train the user tower only (ranking then orders by cosine alone).") var noRerank = false
    @Option(help: "Hidden tanh units of the re-ranker (0: linear).") var rerankHidden: Int = RerankTrainingOptions().hidden
    @Option(help: "Candidates sampled as negatives per re-ranker list (the rest of the list is not scored).")
    var rerankNegatives: Int = RerankTrainingOptions().negatives
    @Option(help: "Share of the training events with a history, the most recent, that the re-ranker learns from.")
    var rerankSampleFraction: Double = RerankTrainingOptions().sampleFraction
    @Option(help: "Epochs of the re-ranker (the best on its held-out lists is kept).") var rerankEpochs: Int = RerankTrainingOptions().epochs
    @Option(help: CandidateOption.help) var candidates: CandidateOption?
    @Option(help: "Train the re-ranker only, on the user tower of this weights file (written to --out with the new re-ranker).")
    var userTower: String?
    @Option(help: "Threads, each computing part of every batch with single-threaded OpenBLAS (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if noRerank && userTower != nil { throw ValidationError("use either --no-rerank or --user-tower") }
        if rerankNegatives < 1 || rerankEpochs < 1 { throw ValidationError("--rerank-negatives and --rerank-epochs must be at least 1") }
        if !(rerankSampleFraction > 0 && rerankSampleFraction <= 1) { throw ValidationError("--rerank-sample-fraction must be in (0, 1]") }
    }

    func run() async throws {
        try await runReportingErrors {
            let settings = try global.settings()
            var options = TrainingOptions()
            options.negatives = negatives
            options.maxEpochs = epochs
            options.batchSize = batchSize
            options.heads = heads
            options.attentionDimension = attentionDimension
            options.chunkSize = chunkSize
            options.learningRate = learningRate
            options.itemLearningRate = itemLearningRate
            options.trainItems = !noItemSide
            options.seed = seed
            if let timeLimit {
                guard let s = TowerConfig.Duration.parseSeconds(timeLimit) else { throw ValidationError("--time-limit \(timeLimit) is not a duration") }
                options.timeLimitSeconds = s
            }
            BLAS.setThreads(1)
            options.threads = max(1, threads)
            let connection = try global.connect()
            let data = try ModelData.reading {
                try ModelData.training(EventLogRepository(connection), settings: settings, until: until, window: window, progress: $0)
            }
            let (log, catalog, cutoff, windowSeconds) = (data.log, data.catalog, data.split, data.windowSeconds)
            print("training on \(log.count) events before \(ModelData.iso(cutoff)) (\(log.droppedEvents) without a product vector skipped), "
                  + "\(catalog.count) products, window \(windowSeconds / 3600)h, negatives \(negatives.rawValue)")

            var (model, summary) = try userTower.map {
                (try UserTowerModel.load(path: $0, eventWeights: settings.eventTypes.weights), try SafeTensorsFile(path: $0).metadata["training"])
            } ?? userTowerStage(log: log, catalog: catalog, settings: settings, options: options)
            if !noRerank {
                var rerankOptions = RerankTrainingOptions()
                rerankOptions.hidden = max(0, rerankHidden)
                rerankOptions.negatives = rerankNegatives
                rerankOptions.sampleFraction = rerankSampleFraction
                rerankOptions.epochs = rerankEpochs
                if let candidates { rerankOptions.candidates = candidates.settings }
                let started = Date()
                print("training the re-ranker …")
                BLAS.setThreads(max(1, threads))
                let rerank = try RerankTrainer.train(log: log, catalog: catalog, tower: model, eventWeights: settings.eventTypes.weights,
                                                     until: cutoff, options: rerankOptions)
                model = model.with(rerank: rerank.parameters)
                print(String(format: "re-ranker %@: %d samples from %d events since %@ (%d held out, kept epoch %d, loss %.4f, %.0f s)",
                             rerank.parameters.version, rerank.samples, rerank.sampleEvents, ModelData.iso(rerank.boundary),
                             rerank.validationSamples, rerank.bestEpoch, rerank.validationLoss, Date().timeIntervalSince(started)))
                print(String(format: "re-ranker candidates: %.1f%% of its sample events had their product among the candidates",
                             100 * rerank.candidateShare))
            }
            let path = out ?? settings.modelPath
            try model.save(path: path, training: summary)
            print("wrote \(path) (version \(model.version))")
            let tables = ServingTables(connection, eventTypes: settings.eventTypes)
            let bar = ProgressBar("reading events for co-visitation", total: try tables.eventCount(), unit: "events")
            let refreshed = try tables.refresh(for: model) { bar.advance(by: $0) }
            bar.finish()
            print("refreshed product_trending (\(refreshed.trending) products) and product_neighbors (\(refreshed.neighbors) rows)")
            if let ease = refreshed.ease { print("wrote product_neighbors kind ease (\(ease) rows, at most \(EASENeighbors.defaultLimit) per product)") }
            try tables.writeSimilarReporting(model, catalog: catalog)
            if let version = try tables.publish(model) {
                print("published re-ranker \(version) (ranking processes switch to it within a minute)")
            }
        }
    }

    /// Trains the user tower (first stage); returns it with its training summary.
    private func userTowerStage(log: EventLog, catalog: CatalogVectors, settings: TowerSettings,
                                options: TrainingOptions) throws -> (UserTowerModel, String?) {
        let trainer = try Trainer(log: log, catalog: catalog, eventNames: settings.eventTypes.names,
                                  eventWeights: settings.eventTypes.weights, options: options)
        var bar: ProgressBar?
        var barEpoch = 0
        let result = try trainer.train(progress: { p in
            if p.epoch != barEpoch {
                bar = ProgressBar("epoch \(p.epoch)/\(p.maxEpochs)", total: p.samplesPerEpoch, unit: "samples")
                barEpoch = p.epoch
            }
            bar?.detail = String(format: "loss %.4f", p.loss)
            bar?.advance(by: p.samplesDone - (bar?.done ?? 0))
        }, onEpoch: { e in
            bar?.finish()
            bar = nil
            print(String(format: "epoch %d: loss %.4f, validation Recall@20 %.4f NDCG@20 %.4f (%.0f s)",
                         e.epoch, e.loss, e.validationRecall20, e.validationNDCG20, e.seconds))
        })
        print("kept epoch \(result.bestEpoch) (\(result.stopReason)); \(result.trainingSamples) training and "
              + "\(result.validationSamples) validation samples; "
              + "\(result.model.items?.productIDs.count ?? 0) products with a learned residual")
        return (result.model, result.summaryJSON)
    }
}

extension NegativeSampling: ExpressibleByArgument {}
