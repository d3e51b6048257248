import ArgumentParser
import Foundation
import LibPQ
import TowerConfig
import TowerMath
import TowerRanking
import TowerStore

/// `tower bench ranking`: feed latency with exact scans and with HNSW, and HNSW's recall, on synthetic catalogs.
struct BenchRankingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranking", abstract: "Benchmark ranking latency.",
        discussion: """
        For each catalog size: creates a scratch database (the read/write role needs CREATEDB), loads \
        synthetic products with clustered random unit vectors (see SyntheticCatalog) and customer vectors, \
        then times personalized feeds through the ranking library over the read-only role: page 1 and page 10 \
        (20 per page), without and with a top-category filter (a tenth of the catalog), with exact scans, \
        with the HNSW index forced (built with --m/--ef-construction, timed, with the category indexes of \
        `tower index create`) and with the default automatic policy (HNSW from 20,000 candidates; a category \
        filter walks its category's index; other filters below 20,000 are exact); then, with \
        synthetic recent events, the refreshed product_trending/product_neighbors and a published re-ranker, \
        the default policy with re-ranking (`auto+rerank`). Recall@20 compares HNSW's first page with \
        the exact one, for focused customers (one interest) and mixed ones (three interests). The scratch \
        database is dropped at the end. Latencies are wall-clock per request, including the pool and all round trips.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Catalog sizes.")
    var sizes: [Int] = [10_000, 100_000]

    @Option(name: .long, help: "Timed requests per scenario.")
    var requests = 200

    @Option(name: .long, help: "Customers (each of the focused and mixed kind) used for queries and recall.")
    var customers = 100

    @Option(name: .customLong("ef-search"), parsing: .upToNextOption, help: "hnsw.ef_search values to measure.")
    var efSearch: [Int] = [100]

    @Option(name: .long, help: "HNSW links per node.")
    var m = VectorIndex.Options().m

    @Option(name: .customLong("ef-construction"), help: "HNSW build candidate list.")
    var efConstruction = VectorIndex.Options().efConstruction

    @Option(name: .customLong("maintenance-work-mem"), help: "Memory for the index build.")
    var maintenanceWorkMem = "2GB"

    @Option(name: .customLong("category-min-products"), help: "Build a category's own index from this many products (as tower index create).")
    var categoryMinProducts = 2_000

    @Flag(name: .customLong("skip-exact"), help: "Do not time exact scans (recall still uses them).")
    var skipExact = false

    @Flag(name: .long, help: "Keep the scratch database (of the last size) for inspection instead of dropping it.")
    var keep = false

    func validate() throws {
        guard requests > 0, customers > 0, !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), efSearch.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("sizes, requests, customers and ef-search values must be positive")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            print(BLASKernel.current)
            let settings = try global.settings()
            let rw = try settings.requireDatabaseURL(), ro = try global.readOnlyDatabaseURL()
            print(String(format: "machine: %d cores, load average %@", ProcessInfo.processInfo.activeProcessorCount,
                         Self.loadAverage()))
            print("products  search            query                   p50 ms   p99 ms")
            for size in sizes {
                let db = try ScratchBenchDatabase(readWriteURL: rw, readOnlyURL: ro)
                defer { if keep { print("kept database \(db.name)") } else { db.drop() } }
                try bench(size: size, db: db)
            }
        }
    }

    /// One catalog size: load, build the index, time exact, HNSW and automatic, measure recall. Prints as it goes.
    private func bench(size: Int, db: ScratchBenchDatabase) throws {
        let writer = try PQConnection(url: db.readWriteURL)
        try Migrator(writer).migrate()
        let catalog = SyntheticCatalog(count: size)
        var start = Date()
        try catalog.load(into: writer)
        try catalog.loadCustomers(1...customers, into: writer)
        try catalog.loadCustomers((customers + 1)...(2 * customers), interests: 3, into: writer)
        print(String(format: "# %d products loaded in %.1f s", size, Date().timeIntervalSince(start)))
        let focused = Array(1...Int64(customers)), mixed = Array(Int64(customers + 1)...Int64(2 * customers))

        var options = VectorIndex.Options()
        options.m = m
        options.efConstruction = efConstruction
        options.maintenanceWorkMem = maintenanceWorkMem
        start = Date()
        try VectorIndex(writer).create(options)
        let indexBytes = try VectorIndex(writer).status()?.sizeBytes ?? 0
        print(String(format: "# %d products: HNSW (m=%d, ef_construction=%d) built in %.1f s, %.0f MB", size, m, efConstruction,
                     Date().timeIntervalSince(start), Double(indexBytes) / 1_048_576))
        start = Date()
        let categories = try CategoryVectorIndex(writer).create(minProducts: categoryMinProducts, options)
        print(String(format: "# %d products: %d category indexes (categories of at least %d products) built in %.1f s", size,
                     categories.count, categoryMinProducts, Date().timeIntervalSince(start)))

        let exact = ranker(db, search: .exact, efSearch: 0)  // timed with the index present, as in production
        if !skipExact { try timeScenarios(exact, size: size, label: "exact", customers: focused) }

        for ef in efSearch {
            let hnsw = ranker(db, search: .approximate, efSearch: ef)
            try timeScenarios(hnsw, size: size, label: "hnsw ef=\(ef)", customers: focused)
            let auto = ranker(db, search: .default, efSearch: ef)
            try timeScenarios(auto, size: size, label: "auto ef=\(ef)", customers: focused)
            for (kind, approximate, people, filters, page) in [("focused", hnsw, focused, RankingFilters.none, 1),
                                                                ("focused, page 10", hnsw, focused, .none, 10),
                                                                ("three interests", hnsw, mixed, .none, 1),
                                                                ("focused, category filter, hnsw", hnsw, focused, Self.categoryFilter, 1),
                                                                ("focused, category filter, auto", auto, focused, Self.categoryFilter, 1)] {
                let r = try recall(approximate, exact, people, filters: filters, page: page)
                print(String(format: "# %d products, ef_search %d, %@: recall@20 %.3f, mean cosine %.3f vs exact %.3f",
                             size, ef, kind, r.recall, r.approximateCosine, r.exactCosine))
            }
        }

        try Self.prepareRerank(writer, products: size, customers: customers)
        try timeScenarios(ranker(db, search: .default, efSearch: efSearch.first ?? 0), size: size, label: "auto+rerank", customers: focused)
    }

    private static let categoryFilter = RankingFilters(categoryPrefix: [SyntheticCatalog.topCategory(3)])

    private func ranker(_ db: ScratchBenchDatabase, search: VectorSearch, efSearch: Int) -> Ranker {
        var configuration = RankerConfiguration()
        configuration.vectorSearch = search
        configuration.maxConnections = 1
        if efSearch > 0 { configuration.efSearch = efSearch }
        configuration.statementTimeout = nil
        return Ranker(url: db.readOnlyURL, configuration: configuration)
    }

    /// Times page 1 and page 10, without and with the category filter, and prints one line each.
    private func timeScenarios(_ ranker: Ranker, size: Int, label: String, customers: [Int64]) throws {
        for (name, filters) in [("", RankingFilters.none), (", category", Self.categoryFilter)] {
            for page in [1, 10] {
                for i in 0..<min(10, requests) {  // warm up caches and the pool
                    _ = try ranker.feed(customer: customers[i % customers.count], filters: filters, page: page)
                }
                var latencies: [Double] = []
                for i in 0..<requests {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let result = try ranker.feed(customer: customers[i % customers.count], filters: filters, page: page)
                    latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    guard result.mode == .personalized else {
                        throw BenchError.unexpected("\(label) page \(page)\(name): mode \(result.mode)")
                    }
                }
                latencies.sort()
                let query = "page \(page)\(name)"
                print(Self.pad(String(size), 8) + "  " + label.padding(toLength: 16, withPad: " ", startingAt: 0) + "  "
                      + query.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + Self.pad(String(format: "%.2f", Self.percentile(latencies, 0.5)), 9)
                      + Self.pad(String(format: "%.2f", Self.percentile(latencies, 0.99)), 9))
            }
        }
    }

    /// The share of the exact pages that the approximate pages contain, and the mean cosine of both (how
    /// much less similar what the index returns is).
    private func recall(_ approximate: Ranker, _ exact: Ranker, _ customers: [Int64], filters: RankingFilters,
                        page: Int) throws -> (recall: Double, approximateCosine: Double, exactCosine: Double) {
        var found = 0, wanted = 0, approximateSum = 0.0, exactSum = 0.0, approximateCount = 0
        for customer in customers {
            let truth = try exact.feed(customer: customer, filters: filters, page: page).items
            let got = try approximate.feed(customer: customer, filters: filters, page: page).items
            let ids = Set(truth.map(\.productID))
            found += got.filter { ids.contains($0.productID) }.count
            wanted += truth.count
            exactSum += truth.reduce(0) { $0 + $1.score - 1 }
            approximateSum += got.reduce(0) { $0 + $1.score - 1 }
            approximateCount += got.count
        }
        return (wanted == 0 ? 1 : Double(found) / Double(wanted), approximateSum / Double(max(approximateCount, 1)),
                exactSum / Double(max(wanted, 1)))
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
    }

    static func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    enum BenchError: Error, CustomStringConvertible {
        case unexpected(String)
        var description: String {
            switch self { case .unexpected(let m): return "unexpected result (\(m)): the benchmark's data did not load as expected" }
        }
    }
}

/// A database created for one benchmark run (from template1, which carries pgvector) and dropped after it.
struct ScratchBenchDatabase {
    let name = "tower_bench_ranking_\(getpid())"
    let readWriteURL: String
    let readOnlyURL: String
    private let maintenanceURL: String

    init(readWriteURL rw: String, readOnlyURL ro: String) throws {
        maintenanceURL = rw
        let admin = try PQConnection(url: rw)
        try admin.execute("SELECT 1")  // reachable before DDL
        try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try admin.execute("CREATE DATABASE \(name) TEMPLATE template1")
        readWriteURL = Self.url(rw, database: name)
        readOnlyURL = Self.url(ro, database: name)
    }

    func drop() {
        guard let admin = try? PQConnection(url: maintenanceURL) else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// `url` with its database replaced.
    static func url(_ url: String, database: String) -> String {
        guard var c = URLComponents(string: url) else { return url }
        c.path = "/" + database
        return c.string ?? url
    }
}
