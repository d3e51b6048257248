import ArgumentParser
import Foundation
import TowerConfig
import TowerMath
import TowerModel
import TowerStore

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
            let connection = try global.connect()
            let refresh = UserRefreshRepository(connection)

            // 1. Served product vectors.
            let products = try EventLogRepository(connection).productVectors()
            let served = products.compactMap { p in
                p.text.map { (productID: p.productID, vector: model.items?.vector(of: p.productID, text: $0) ?? VectorOps.l2Normalized($0)) }
            }
            var changed = 0
            for start in stride(from: 0, to: served.count, by: 1_000) {
                changed += try refresh.publishServedVectors(Array(served[start ..< min(start + 1_000, served.count)]))
            }
            print("served product vectors: \(changed) of \(served.count) changed")

            // 2. User vectors.
            let progress = Progress("refreshing users", total: try refresh.customerCount(), unit: "users")
            var written = 0, removed = 0, last: Int64?
            while true {
                let customers = try refresh.customers(after: last, limit: batchSize)
                guard let end = customers.last else { break }
                last = end
                let done = try refresh.refresh(customers, now: Date(), window: settings.windowSeconds, modelVersion: model.version,
                                               keepStale: keepStale) { histories in
                    model.encode(histories.map { history in
                        history.map { TowerInteraction(productVector: $0.productVector, eventName: $0.eventName, ageSeconds: $0.ageSeconds) }
                    })
                }
                written += done.written
                removed += done.removed
                progress.advance(by: customers.count)
            }
            progress.finish()
            print("user vectors: \(written) recomputed with \(model.version), \(removed) removed (empty window)")
        }
    }
}
