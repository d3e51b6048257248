import ArgumentParser
import Foundation
import TowerCLI
import TowerConfig
import TowerMath
import TowerModel
import TowerUseCases

/// `tower users …`: bulk operations on user vectors.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Bulk user operations (refresh).", subcommands: [UsersRefreshCommand.self])
}

/// `tower users refresh`: applies the current model to the stored product and user vectors.
struct UsersRefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh", abstract: "Publish the model's item vectors and recompute every user vector.",
        discussion: """
        Run after `tower train` (and after reloading towerd with SIGHUP). First writes each product's served vector \
        (products.embedding) from the model's item side: the text vector plus the learned residual, or the text \
        vector alone for products the model has no residual for. Then recomputes the vector of every customer with \
        a stored vector or stored interactions from the recent interactions inside TOWER_WINDOW, batched through \
        the daemon's inference path and under the daemon's per-customer locks, so it is safe while towerd runs. \
        Customers whose window is empty lose their stored vector (ranking falls back to popularity) unless \
        --keep-stale is given. The model is TOWER_MODEL_PATH, or the untrained default when that file is missing.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Customers per batch (one transaction and one forward pass each).") var batchSize = 256
    @Flag(help: "Keep the stored vectors of customers whose window is empty.") var keepStale = false
    @Option(help: "OpenBLAS threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        try await runReportingErrors {
            let settings = try global.settings()
            BLAS.setThreads(max(1, threads))
            let weights = settings.eventTypes.weights
            let model = FileManager.default.fileExists(atPath: settings.modelPath)
                ? try UserTowerModel.load(path: settings.modelPath, eventWeights: weights)
                : UserTowerModel.untrained(eventWeights: weights)
            print("model \(model.version)" + (model.items.map { " with residuals for \($0.productIDs.count) products" } ?? ""))
            let refresh = UserRefresh(try global.connect(), model: model, window: settings.windowSeconds)
            let served = try refresh.publishServedVectors()
            print("served product vectors: \(served.changed) of \(served.products) changed")
            let progress = ProgressBar("refreshing users", total: try refresh.customerCount(), unit: "users")
            let (written, removed) = try refresh.refreshUsers(batchSize: batchSize, keepStale: keepStale, progress: { progress.advance(by: $0) })
            progress.finish()
            print("user vectors: \(written) recomputed with \(model.version), \(removed) removed (empty window)")
        }
    }
}
