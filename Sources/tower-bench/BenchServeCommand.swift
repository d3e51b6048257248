import ArgumentParser
import Foundation
import LibPQ
import Logging
import TowerCLI
import TowerConfig
import TowerMath
import TowerRanking
import TowerRerank
import TowerRuntime
import TowerServe
import TowerStore
import TowerWorker

/// `tower-bench serve`: HTTP latency and throughput of `tower serve` per route under wrk, beside the same reads
/// through the library.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Benchmark tower serve (HTTP, with wrk) against the library.",
        discussion: """
        Creates a scratch database (the read/write role needs CREATEDB) with a synthetic catalog, customer \
        vectors, the HNSW index, recent events, the serving tables and a published re-ranker (as `tower-bench \
        ranking`), starts `tower serve` in this process on --port (no auth, no rate limit, access logs formatted \
        and discarded), and for each route and each connection count runs wrk (`apt-get install wrk`) for \
        --seconds with a random customer and product per request (no answer is cached), then the same reads \
        through the library from as many threads. Prints p50/p99 latency, requests/s and errors per line. \
        The database shares the machine's cores with the server and the load generator. Before the feed routes it \
        reads the catalog snapshot and prints how its probe's top 100 compares with a scan of every product at a \
        few budgets (the first 200 customers' vectors as queries, or products' when there are none): with --reuse \
        on a shop's own database, the check for `catalogProbeShare`.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Catalog size.") var products = 100_000
    @Option(help: "Customers with a vector and recent events; requests pick one at random.") var customers = 1_000
    @Option(help: "Products of the product routes are drawn from the first this-many (the ones with events).")
    var productRange = 1_000
    @Option(parsing: .upToNextOption, help: "Concurrent connections (HTTP) and threads (library).") var connections = [1, 16, 128]
    @Option(help: "Seconds per measurement.") var seconds = 5
    @Option(help: "Server worker threads = database connections (TOWER_API_WORKERS; default: twice the cores, 2 to 32).")
    var workers = ServeConfiguration.defaultWorkers
    @Option(parsing: .upToNextOption, help: "Routes to measure (default: all).") var routes: [String] = []
    @Option(name: .customLong("rerank-candidates"), help: "The published re-ranker's shape, as `tower train --candidates` (default: its default).")
    var rerankCandidates: CandidateOption?
    @Option(help: "Loopback port of the server.") var port = 18470
    @Option(help: "Use this database kept by an earlier run (--keep) instead of creating one.") var reuse: String?
    @Flag(help: "Keep the scratch database for inspection or --reuse.") var keep = false

    func validate() throws {
        guard products > 0, customers > 0, productRange > 0, seconds > 0, workers > 0, !connections.isEmpty,
              connections.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("products, customers, product-range, seconds, workers and connections must be positive")
        }
        let names = Set(ServeScenario.all(category: "").map(\.name))
        if let unknown = routes.first(where: { !names.contains($0) }) {
            throw ValidationError("unknown route \"\(unknown)\": use \(names.sorted().map { "\"\($0)\"" }.joined(separator: ", "))")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            print(BLASKernel.current)
            print("catalog snapshot scan kernel \(Ranker.vectorScanKernel)")
            let settings = try global.settings()
            let rw = try settings.requireDatabaseURL(), ro = try global.readOnlyDatabaseURL()
            let readOnlyURL: String
            var scratch: ScratchBenchDatabase?
            if let reuse {
                readOnlyURL = ScratchBenchDatabase.url(ro, database: reuse)
            } else {
                let db = try ScratchBenchDatabase(readWriteURL: rw, readOnlyURL: ro)
                scratch = db
                readOnlyURL = db.readOnlyURL
                try prepare(db)
            }
            defer { if let scratch { if keep { print("kept database \(scratch.name)") } else { scratch.drop() } } }
            try await measure(readOnlyURL: readOnlyURL)
        }
    }

    /// The catalog, customers, index and two-stage serving data of `tower-bench ranking`.
    private func prepare(_ db: ScratchBenchDatabase) throws {
        let writer = try PQConnection(url: db.readWriteURL)
        try Migrator(writer).migrate()
        let start = Date()
        let catalog = SyntheticCatalog(count: products)
        try catalog.load(into: writer)
        try catalog.loadCustomers(1...customers, into: writer)
        try VectorIndex(writer).create(VectorIndex.Options())
        try CategoryVectorIndex(writer).create(minProducts: 2_000)
        try BenchRankingCommand.prepareRerank(writer, products: products, customers: customers,
                                              candidates: rerankCandidates?.settings ?? CandidateSettings())
        try writer.execute("ANALYZE")
        print(String(format: "# %d products, %d customers, HNSW index and serving tables ready in %.1f s", products, customers,
                     Date().timeIntervalSince(start)))
    }

    private func measure(readOnlyURL: String) async throws {
        let category = SyntheticCatalog.topCategory(3)
        let scenarios = ServeScenario.all(category: category).filter { routes.isEmpty || routes.contains($0.name) }
        let server = TowerServer(configuration: ServeConfiguration(port: port, databaseURL: readOnlyURL, workers: workers, keyDigests: nil,
                                                                   rateLimit: 0),
                                 logger: Logger(label: "tower-serve") { JSONLogHandler(label: $0, output: LogOutput(journal: false) { _ in }) })
        let ready = AsyncStream<Void>.makeStream()
        let serving = Task { try await server.run(handleSignals: false) { ready.continuation.yield() } }
        defer { serving.cancel() }
        guard await Self.first(of: ready.stream, within: 30) else { throw BenchServeError.serverDidNotStart }

        var libraryConfiguration = RankerConfiguration()
        libraryConfiguration.maxConnections = workers
        let ranker = Ranker(url: readOnlyURL, configuration: libraryConfiguration)
        defer { ranker.close() }
        let http = WrkLoad(baseURL: "http://127.0.0.1:\(port)", customers: customers, products: productRange)
        let library = LibraryLoad(ranker: ranker, customers: customers, products: productRange)
        print(String(format: "machine: %d cores, load average %@; server: %d workers; %d s per line; category %@",
                     ProcessInfo.processInfo.activeProcessorCount, BenchRankingCommand.loadAverage(), workers, seconds, category))
        print("route             conns |  HTTP p50 ms   p99 ms    req/s  errors |  library p50 ms   p99 ms    req/s  errors | load")
        if let feed = scenarios.first(where: \.feed) {
            // The server's catalog snapshot is read in the background after its first feed request: measure with it (at
            // most a minute's wait; a catalog above the snapshot's limit never has one). The library's is read by the report.
            for _ in 0..<60 where server.catalogSnapshotProducts == nil { _ = try http.run(feed, connections: 1, seconds: 1) }
            try Self.printProbeReports(ranker, url: readOnlyURL)
        }
        for scenario in scenarios {
            _ = try http.run(scenario, connections: 4, seconds: 1)  // warm the server's connections and caches
            for n in connections {
                let h = try http.run(scenario, connections: n, seconds: seconds)
                let l = library.run(scenario, callers: n, seconds: Double(seconds))
                print(scenario.name.padding(toLength: 16, withPad: " ", startingAt: 0) + BenchRankingCommand.pad(String(n), 6) + " | "
                      + Self.columns(h) + " | " + BenchRankingCommand.pad("", 3) + Self.columns(l) + " | " + BenchRankingCommand.loadAverage())
            }
        }
    }

    /// The catalog snapshot's partitioned top 100 by cosine against its full scan, for the vectors of the database's
    /// first 200 customers (or 200 products'), at a few probe budgets (the configured one among them).
    static func printProbeReports(_ ranker: Ranker, url: String) throws {
        let (start, memory) = (Date(), BenchServeCommand.residentMegabytes())
        try ranker.refreshCatalogSnapshot()
        print(String(format: "# catalog snapshot read and built in %.1f s; this process's resident memory %.0f → %.0f MB",
                     Date().timeIntervalSince(start), memory, BenchServeCommand.residentMegabytes()))
        let refreshStart = Date()
        try ranker.refreshCatalogSnapshot()
        print(String(format: "# catalog snapshot refreshed (what a serving process does every TTL) in %.2f s, %d vectors read",
                     Date().timeIntervalSince(refreshStart), ranker.catalogSnapshotVectorsRead ?? 0))
        // The first 200 customers' vectors; a database without any (an imported event history outside the window) uses
        // 200 products' vectors spread over the catalogue, as `similar` would.
        let connection = try PQConnection(url: url)
        var queries = try connection.query("SELECT embedding FROM user_vectors ORDER BY customer_id LIMIT 200").rows
            .map { try $0.decode(0, as: [Float].self) }
        if queries.isEmpty {
            print("# no customer vectors: the probe's queries are 200 product vectors")
            queries = try connection.query("SELECT embedding FROM products WHERE embedding IS NOT NULL ORDER BY md5(product_id::text) LIMIT 200")
                .rows.map { try $0.decode(0, as: [Float].self) }
        }
        guard let products = ranker.catalogSnapshotProducts else { return print("# no catalog snapshot: the catalog is above its limit") }
        let configured = ranker.configuration.catalogProbeBudget(products)
        for budget in Set([1_000, 2_000, 4_096, products / 20, products / 10, configured].filter { $0 <= products }).sorted() {
            guard let r = ranker.catalogProbeReport(queries: queries, limit: 100, budget: budget) else { return }
            print(String(format: "# catalog snapshot, %d products in %d lists: probe %d (%.0f rows scanned): recall@100 %.3f against a full scan, %.0f µs a query (full scan %.0f µs)%@",
                         r.products, r.lists, budget, r.scannedRows, r.recall, r.probeMicroseconds, r.fullMicroseconds,
                         budget == configured ? " (the default)" : ""))
        }
    }

    /// This process's resident set (VmRSS of /proc/self/status), in MB.
    static func residentMegabytes() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let kB = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) }
        return (kB ?? 0) / 1024
    }

    private static func columns(_ f: LoadFigures) -> String {
        BenchRankingCommand.pad(String(format: "%.2f", f.p50ms), 12) + BenchRankingCommand.pad(String(format: "%.2f", f.p99ms), 9)
            + BenchRankingCommand.pad(String(format: "%.0f", f.perSecond), 9) + BenchRankingCommand.pad(String(f.errors), 8)
    }

    /// Whether `stream` yields within `seconds`.
    private static func first(of stream: AsyncStream<Void>, within seconds: Double) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { for await _ in stream { return true }; return false }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return false }
            let result = await group.next() ?? false
            group.cancelAll()
            return result
        }
    }
}
