import ArgumentParser
import Foundation
import TowerCLI
import TowerConfig
import TowerModel
import TowerRerank
import TowerStore
import TowerOfflineUseCases

/// `tower rerank …`: the re-ranker every ranking process serves, stored in PostgreSQL.
struct RerankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank", abstract: "Publish or withdraw the served re-ranker.",
        discussion: """
        The second stage of the personalised feed (its learned scorer) is read from the rerank_parameters \
        table by every process that links TowerRanking, on any host or replica; each checks for a new \
        version every minute and switches without a restart. `tower train` publishes what it trained; \
        `publish` does it for an existing model file (a roll-back, or a model trained elsewhere). \
        See docs/ranking.md.
        """,
        subcommands: [Publish.self, Withdraw.self])

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish", abstract: "Serve the re-ranker of a model file.",
            discussion: """
            Stores the model file's re-ranker parameters under their version, with TOWER_EVENT_WEIGHTS (the \
            weights the history features use), and makes them the served ones; first rewrites the model's \
            item-vector neighbours (product_neighbors kind similar) that its per-interest candidates read, and its \
            EASE neighbours (kind ease, from the whole event log, with the co-visitation kinds and trending) when it reads them.
            """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "Model file written by `tower train` (default: TOWER_MODEL_PATH).") var model: String?

        func run() async throws {
            try await runReportingErrors {
                let settings = try global.settings()
                let path = model ?? settings.modelPath
                let loaded = try UserTowerModel.load(path: path, eventWeights: settings.eventTypes.weights)
                guard let rerank = loaded.rerank else {
                    throw ValidationError("\(path) has no re-ranker: train it with `tower train` first")
                }
                let connection = try global.connect()
                let tables = ServingTables(connection, eventTypes: settings.eventTypes)
                if rerank.candidates.usesItemNeighbors {
                    try tables.writeSimilarReporting(loaded, catalog: try ModelData.catalog(EventLogRepository(connection)))
                }
                if rerank.candidates.usesEASE, let ease = try tables.refresh(for: loaded).ease {
                    print("wrote product_neighbors kind ease (\(ease) rows) and refreshed the co-visitation kinds and trending")
                }
                _ = try tables.publish(loaded)
                print("published re-ranker \(rerank.version); ranking processes switch to it within a minute")
            }
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "withdraw", abstract: "Stop re-ranking: feeds return to the cosine order.",
            discussion: "Deletes every published version; ranking processes notice within a minute.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                let n = try RerankParameterRepository(try global.connect()).withdraw()
                print("withdrew \(n) published re-ranker version(s)")
            }
        }
    }
}
