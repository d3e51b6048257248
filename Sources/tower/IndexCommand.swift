import ArgumentParser
import Foundation
import LibPQ
import TowerConfig
import TowerRanking
import TowerStore

/// `tower index …`: the HNSW index ranking uses for large catalogs.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Manage the vector index.",
        discussion: """
        Ranking scans every product exactly until the catalog is large; with an HNSW index (cosine ops) on \
        products.embedding and at least 20,000 products it switches to approximate search with pgvector's \
        iterative scans. See docs/ranking.md.
        """,
        subcommands: [Create.self, Drop.self, Status.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Build the HNSW index on products.embedding.",
            discussion: """
            CREATE INDEX products_embedding_hnsw ON products USING hnsw (embedding vector_cosine_ops) \
            WITH (m, ef_construction), then ANALYZE; then one partial index of the same kind per top-level \
            category holding at least --category-min-products products (WHERE category_path[1] = …), which \
            feeds filtered to that category walk instead of scanning its rows. Needs the read/write role (TOWER_DATABASE_URL). \
            Give the build enough memory (--maintenance-work-mem, about 2.5 kB per product at 384 dims) or it \
            spills to disk and slows down a lot. Build times on the reference machine are in docs/ranking.md.
            """)

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Links per node (2…100).")
        var m = VectorIndex.Options().m

        @Option(name: .customLong("ef-construction"), help: "Build candidate list (4…1000, ≥ 2·m).")
        var efConstruction = VectorIndex.Options().efConstruction

        @Option(name: .customLong("maintenance-work-mem"), help: "Memory for the build, e.g. 1GB.")
        var maintenanceWorkMem = "1GB"

        @Option(name: .customLong("parallel-workers"), help: "Parallel build workers (default: the server's max_parallel_maintenance_workers).")
        var parallelWorkers: Int?

        @Flag(name: .long, help: "Build without blocking writes (CREATE INDEX CONCURRENTLY; slower).")
        var concurrently = false

        @Option(name: .customLong("category-min-products"), help: "Build a category's own index from this many products (0: none).")
        var categoryMinProducts = 2_000

        func run() async throws {
            try await runReportingErrors {
                let connection = try global.connect()
                var options = VectorIndex.Options()
                options.m = m
                options.efConstruction = efConstruction
                options.maintenanceWorkMem = maintenanceWorkMem
                options.parallelWorkers = parallelWorkers
                options.concurrently = concurrently
                let watcher = try ProgressWatcher(url: try global.settings().requireDatabaseURL())
                let start = Date()
                let created = try VectorIndex(connection).create(options)
                watcher.stop()
                if created {
                    let status = try VectorIndex(connection).status()
                    print("created \(VectorIndex.name) (m=\(m), ef_construction=\(efConstruction)) in "
                          + String(format: "%.1f s", Date().timeIntervalSince(start))
                          + (status.map { ", \(Status.megabytes($0.sizeBytes))" } ?? ""))
                } else {
                    print("\(VectorIndex.name) already exists: `tower index drop` first to rebuild it with other settings")
                }
                if categoryMinProducts > 0 {
                    let categoryStart = Date()
                    let built = try CategoryVectorIndex(connection).create(minProducts: categoryMinProducts, options)
                    print("category indexes: built \(built.count) (\(built.joined(separator: ", "))) in "
                          + String(format: "%.1f s", Date().timeIntervalSince(categoryStart)))
                }
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "drop", abstract: "Drop the HNSW index and the category indexes (ranking falls back to exact scans).")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Drop without blocking reads and writes (DROP INDEX CONCURRENTLY).")
        var concurrently = false

        func run() async throws {
            try await runReportingErrors {
                let connection = try global.connect()
                let dropped = try VectorIndex(connection).drop(concurrently: concurrently)
                print(dropped ? "dropped \(VectorIndex.name)" : "\(VectorIndex.name) does not exist")
                print("dropped \(try CategoryVectorIndex(connection).drop()) category indexes")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the index and what ranking uses.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                let index = try VectorIndex(try global.connect()).status()
                let ranker = Ranker(url: try global.readOnlyDatabaseURL())
                let seen = try ranker.vectorIndexStatus()
                switch index {
                case nil: print("\(VectorIndex.name): none")
                case let s?:
                    print("\(VectorIndex.name): \(s.valid ? "valid" : "INVALID (a failed concurrent build: run `tower index create` again)"), "
                          + "\(Self.megabytes(s.sizeBytes)), options \(s.options.isEmpty ? "pgvector defaults (m=16, ef_construction=64)" : s.options.joined(separator: ", "))")
                }
                print("products (estimate): \(seen.estimatedProducts)")
                print("category indexes: " + (seen.categoryIndexes.isEmpty ? "none" : seen.categoryIndexes.sorted().joined(separator: ", ")))
                let policy = ranker.configuration.vectorSearch
                print("ranking uses: " + (seen.usesIndex(policy)
                    ? "HNSW (ef_search \(ranker.configuration.efSearch), iterative strict-order scans; exact for filters leaving fewer than \(Self.threshold(policy)) products, except a category with its own index from \(ranker.configuration.categoryIndexMinimum))"
                    : seen.hasIndex ? "exact scans (below the \(Self.threshold(policy)) products threshold)" : "exact scans (no usable HNSW index)"))
            }
        }

        static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }

        static func threshold(_ policy: VectorSearch) -> String {
            if case .automatic(let t) = policy { return String(t) }
            return "-"
        }
    }
}

/// Prints a build's progress from `pg_stat_progress_create_index` every two seconds, on its own connection.
final class ProgressWatcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false

    init(url: String) throws {
        let connection = try PQConnection(url: url)
        Thread.detachNewThread { [self] in watch(connection) }
    }

    /// Stops watching and waits for the final line.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func watch(_ connection: PQConnection) {
        var progress: Progress?
        while !waitForStop(seconds: 2) {
            guard let p = try? VectorIndex.buildProgress(connection), p.tuplesTotal > 0 else { continue }
            let bar = progress ?? Progress("building index", total: p.tuplesTotal, unit: "products")
            bar.advance(by: max(0, p.tuplesDone - bar.done))
            progress = bar
        }
        progress?.finish()
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `seconds` for `stop()`; true once stopping.
    private func waitForStop(seconds: TimeInterval) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
        return stopping
    }
}
