import ArgumentParser
import Foundation
import TowerConfig
import TowerEvaluation
import TowerMath
import TowerModel
import TowerRerank
import TowerStore

/// `tower evaluate`: scores the trained model (two-stage when it holds a re-ranker) against the baselines.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate models offline on a temporal split of the event log.",
        discussion: """
        Test events are those at or after --split-at (default: the time at which 90% of logged events precede). \
        For each, the history is the customer's interactions strictly before it inside --window (at most 20; \
        events sharing its timestamp are never history), every active product is ranked, and the rank of the \
        true product is scored; equal scores rank by product id. Events without history are ranked by the served \
        fallback (products.popularity: event weights over TOWER_POPULARITY_PERIOD ending at the newest \
        train-period event) for every personalised model. Models, all fitted on train-period events only: tower \
        (--model; the two-stage system when the file holds a re-ranker), popularity (all train-period event \
        weights), recent_popularity_7d / _30d (the last 7 / 30 days before the split), repeat (the history's \
        products by recency-weighted weight, then recent_popularity_30d), item_knn (co-visitation neighbours of the \
        history, then recent_popularity_30d), ease (closed-form EASE, skipped above 20,000 products with events), \
        history_mean (plain mean of the history's vectors), default (untrained user tower). Each metric comes with \
        a standard error clustered by customer, overall and for test events with and without history. See \
        docs/model.md.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The model scored as `tower` (default: TOWER_MODEL_PATH; without that file only the baselines are scored).") var model: String?
    @Option(help: "Test events are those at or after this time (ISO 8601). Default: the time at which 90% of logged events precede.")
    var splitAt: String?
    @Option(help: "Recent-interaction window of the histories (default: TOWER_WINDOW, 2d).") var window: String?
    @Flag(help: "Also score only test events whose product the customer had not interacted with before.") var newItemsOnly = false
    @Flag(help: "Print exactly one JSON object.") var json = false
    @Option(help: "Write a self-contained HTML page with a Recall@K chart to this file.") var report: String?
    @Option(help: "EASE's L2 regularisation λ.") var easeLambda: Float = 500
    @Option(help: ArgumentHelp("Score `tower` with these candidate counts instead of the model's (to measure sources; the re-ranker "
                               + "stays as trained). " + CandidateOption.help.abstract)) var candidates: CandidateOption?
    @Option(help: "OpenBLAS threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        try await runReportingErrors {
            let settings = try global.settings()
            BLAS.setThreads(max(1, threads))
            let path = model ?? settings.modelPath
            var tower: UserTowerModel?
            if FileManager.default.fileExists(atPath: path) {
                tower = try UserTowerModel.load(path: path, eventWeights: settings.eventTypes.weights)
                if let candidates, var rerank = tower?.rerank {
                    rerank.candidates = candidates.settings
                    tower = tower?.with(rerank: rerank)
                }
            } else if model != nil {
                throw ModelDataError.noModel(path: path)
            } else {
                printError("no model at \(path): scoring the baselines only (train one with `tower train`)")
            }
            let repository = EventLogRepository(try global.connect())
            let windowSeconds = try ModelDataSupport.window(window, settings)
            let split = try ModelDataSupport.splitTime(splitAt, repository)
            let catalog = try ModelDataSupport.catalog(repository)
            let log = EventLog(events: try ModelDataSupport.events(repository, before: nil), catalog: catalog,
                               eventNames: settings.eventTypes.names, windowSeconds: windowSeconds)
            var evaluator = Evaluator(log: log, catalog: catalog, splitAt: split, eventWeights: settings.eventTypes.weights)
            evaluator.popularityPeriodSeconds = settings.popularityPeriodSeconds
            evaluator.easeLambda = easeLambda
            let all = evaluator.evaluate(tower: tower, events: evaluator.testEvents)
            let newItems = newItemsOnly ? evaluator.evaluate(tower: tower, events: evaluator.newItemTestEvents) : nil
            let result = EvaluationReport(splitAt: ModelDataSupport.iso(split), windowSeconds: windowSeconds,
                                          towerVersion: tower?.version, all: all, newItems: newItems)
            if let report {
                do { try result.html().write(toFile: report, atomically: true, encoding: .utf8) } catch {
                    throw ValidationError("cannot write \(report): \(error.localizedDescription)")
                }
            }
            print(json ? result.json() : result.table())
        }
    }
}
