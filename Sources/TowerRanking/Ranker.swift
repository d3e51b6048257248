import CTowerVectorScan
import Foundation
import LibPQ
import TowerRerank

/// Orders a shop's products for a customer. Create one per process and share it: it is thread-safe.
///
/// - Connections: a pool of at most `configuration.maxConnections` connections to `url` (a replica works),
///   opened lazily; a request waits for a free one up to `acquireTimeout`. Broken connections are
///   replaced, and a request that lost its connection is retried (it only reads).
/// - Every request reads inside read-only, repeatable-read transactions (one, or for the feed, its first round
///   trip's and then one for the rest), so a role with SELECT rights (tower_ro) is enough.
/// - Both blocking and `async` methods exist; the async ones run the blocking work on a Dispatch queue,
///   never on Swift concurrency's cooperative threads.
public final class Ranker: Sendable {
    public let configuration: RankerConfiguration
    private let pool: ConnectionPool
    private let indexCache: VectorIndexCache
    private let rerankCache: RerankParameterCache
    let caches: ServingCaches

    /// A ranker over the database at `url` (libpq URL or key=value string). Connects on first use.
    public init(url: String, configuration: RankerConfiguration = RankerConfiguration()) {
        self.configuration = configuration
        pool = ConnectionPool(url: Self.withConnectTimeout(url, seconds: configuration.connectTimeoutSeconds),
                              timeouts: ConnectionTimeouts(statement: configuration.statementTimeout),
                              settings: ReadSession.sessionSettings, maxSize: configuration.maxConnections, acquireTimeout: configuration.acquireTimeout)
        indexCache = VectorIndexCache(interval: configuration.indexCheckInterval)
        rerankCache = RerankParameterCache(interval: configuration.rerankCheckInterval)
        caches = ServingCaches(configuration: configuration)
    }

    /// Closes idle connections (for shutdown; the ranker stays usable and reconnects on demand).
    public func close() { pool.drain() }

    // MARK: feed

    /// One page of `customer`'s feed.
    ///
    /// `relevance` orders by cosine similarity to the customer's vector (score = cosine + 1, ties by product
    /// id); a customer without a vector gets the popularity order (mode `fallback`). Once re-ranker
    /// parameters are published (`tower train`, `tower rerank publish`), the first `candidates.rerank`
    /// positions of a personalised feed are the re-ranker's order of its candidates (see docs/ranking.md)
    /// and the cosine order continues after them; with `diversify` the feed stays in cosine order.
    /// Other sorts ignore the customer. `diversify` applies to relevance orders only. `exclude` leaves out
    /// products of the customer's window history, in every mode. Throws `RankingError`.
    public func feed(customer: Int64, filters: RankingFilters = .none, sort: RankingSort = .relevance,
                     page: Int = 1, perPage: Int = 20, includeTotal: Bool = false,
                     diversify: Diversity? = nil, exclude: FeedExclusion = .none) throws -> FeedPage {
        try validate(perPage: perPage)
        let pages = 1...(Int.max / perPage)
        guard pages.contains(page) else { throw RankingError.invalidPage(page, allowed: pages) }
        try filters.validate()
        try diversify?.validate()
        return try read { session in
            // One round trip on its own snapshot (no transaction statements): the vector check (with a re-ranker: the
            // vector and the window history) and the customer's excluded products. With warm caches a re-ranked page
            // needs nothing more; later batches (the total, the page beyond the head) share a snapshot of their own.
            let reranker = sort == .relevance && diversify == nil ? try rerankCache.current(session) : nil
            let inputs = reranker != nil ? ReadSession.rerankInputs(customer) : sort == .relevance ? [ReadSession.vectorCheck(customer)] : []
            let exclusion = exclude.statement(customer)
            let first = inputs + (exclusion.map { [$0] } ?? [])
            let results = first.isEmpty ? [] : try session.batch(first, alone: true)
            let personalized = sort == .relevance && results[0].count > 0
            var filters = filters
            if exclusion != nil { filters.excludedProductIDs += try results[results.count - 1].rows.map { try $0.decode(0) } }
            let ordering = personalized ? Ordering.nearest(.customer(customer), reason: .personalized) : Ordering(sort: sort)
            let total = try includeTotal ? session.count(ordering, filters) : nil
            let offset = (page - 1) * perPage
            let items: [RankedItem]
            if personalized, let reranker {
                items = try session.rerankedPage(customer: customer, inputs: Array(results.prefix(inputs.count)), filters: filters,
                                                 offset: offset, limit: perPage, total: total, reranker: reranker)
            } else {
                items = try session.rank(ordering, filters, offset: offset, limit: perPage,
                                         diversity: sort == .relevance ? diversify : nil, total: total)
            }
            return FeedPage(customerID: customer, page: page, perPage: perPage, total: total,
                            mode: personalized ? .personalized : sort == .relevance ? .fallback : .sorted, items: items)
        }
    }

    /// Async `feed` for Swift concurrency callers.
    public func feed(customer: Int64, filters: RankingFilters = .none, sort: RankingSort = .relevance,
                     page: Int = 1, perPage: Int = 20, includeTotal: Bool = false,
                     diversify: Diversity? = nil, exclude: FeedExclusion = .none) async throws -> FeedPage {
        try await offload { try self.feed(customer: customer, filters: filters, sort: sort, page: page, perPage: perPage,
                                          includeTotal: includeTotal, diversify: diversify, exclude: exclude) }
    }

    // MARK: similar

    /// The `limit` products nearest to `product`'s vector under `filters` (the product itself excluded).
    /// Throws `RankingError.productNotFound` for an unknown product.
    public func similar(to product: Int64, filters: RankingFilters = .none, limit: Int = 20) throws -> [RankedItem] {
        try validate(perPage: limit)
        try filters.validate()
        return try read { session in
            try session.requireProductVector(product)
            return try session.rank(.nearest(.product(product), reason: .similar), filters, offset: 0, limit: limit,
                                    excluding: product)
        }
    }

    /// Async `similar`.
    public func similar(to product: Int64, filters: RankingFilters = .none, limit: Int = 20) async throws -> [RankedItem] {
        try await offload { try self.similar(to: product, filters: filters, limit: limit) }
    }

    // MARK: lookups

    /// The stored product with its vector, or nil.
    public func product(_ id: Int64) throws -> CatalogProduct? {
        try read { session in
            let r = try session.finalQuery("""
                SELECT product_id, name, merchant, category_path, color, price, price_tier, popularity,
                       extract(epoch FROM created_at)::float8, active, embedding
                FROM products WHERE product_id = $1
                """, [id])
            guard r.count > 0 else { return nil }
            let row = r[0]
            return CatalogProduct(productID: try row.decode(0), name: try row.decode(1), merchant: try row.decodeIfPresent(2),
                                  categoryPath: try row.decode(3), color: try row.decodeIfPresent(4),
                                  price: try row.decodeIfPresent(5), priceTier: try row.decodeIfPresent(6),
                                  popularity: try row.decode(7), createdAt: try row.decode(8), active: try row.decode(9),
                                  vector: try row.decodeIfPresent(10))
        }
    }

    /// Async `product`.
    public func product(_ id: Int64) async throws -> CatalogProduct? {
        try await offload { try self.product(id) }
    }

    /// The version of the re-ranker this ranker serves (nil: none published), as of its last check.
    public func rerankVersion() throws -> String? {
        try read { try rerankCache.current($0)?.parameters.version }
    }

    /// Whether the HNSW index exists and how large the catalog is, freshly read; `usesIndex` tells the policy.
    public func vectorIndexStatus() throws -> VectorIndexStatus {
        try read { try VectorIndexStatus.read($0) }
    }

    // MARK: plumbing

    private func validate(perPage: Int) throws {
        let allowed = 1...max(1, configuration.maxPerPage)
        guard allowed.contains(perPage) else { throw RankingError.invalidPerPage(perPage, allowed: allowed) }
    }

    /// Runs `body` in a read-only transaction on a pooled connection, retrying transient failures.
    func read<T: Sendable>(_ body: @Sendable (ReadSession) throws -> T) throws -> T {
        var failures = 0
        while true {
            do {
                let (value, reads) = try pool.withConnection { connection in
                    let session = ReadSession(connection: connection, configuration: configuration, indexCache: indexCache, caches: caches)
                    do {
                        let value = try body(session)
                        try session.finish()
                        return (value, session.backgroundReads)
                    } catch {
                        if session.began, connection.isConnected { _ = try? connection.execute("ROLLBACK") }
                        for read in session.backgroundReads { release(read) }
                        throw error
                    }
                }
                for read in reads { DispatchQueue.global(qos: .utility).async { [self] in fill(read) } }
                return value
            } catch let error as PQError where error.isTransient {
                failures += 1
                guard configuration.retry.policy.allows(after: failures) else { throw RankingError(error) }
                Thread.sleep(forTimeInterval: configuration.retry.policy.delay(forAttempt: failures - 1))
            } catch let error as PQError {
                throw RankingError(error, statementTimeout: configuration.statementTimeout)
            }
        }
    }

    /// Reads what a request claimed (a category's members for the in-memory scan, or the catalog snapshot) on a Dispatch
    /// thread, after the request.
    private func fill(_ claimed: BackgroundRead) {
        do {
            switch claimed {
            case .category(let category):
                let limit = configuration.categoryScanMaximum
                let members = try read { try CategoryMembers($0.query(CategoryMembers.statement(category, limit: limit)), limit: limit) }
                caches.categories.store(members, for: category)
            case .catalog:
                try readCatalog()
            }
        } catch {
            release(claimed)  // the next request that needs it claims it again
        }
    }

    private func release(_ claimed: BackgroundRead) {
        switch claimed {
        case .category(let category): caches.categories.release(category)
        case .catalog: caches.catalog.release()
        }
    }

    /// The implementation of the catalog snapshot's int4 scan this CPU runs: "AVX-512 VNNI", "AVX2" or "portable".
    public static var vectorScanKernel: String { String(cString: tower_scan_kernel()) }

    /// Products in the catalog snapshot the re-ranked feed ranks from (nil: none yet, or the catalog is too large).
    public var catalogSnapshotProducts: Int? { caches.catalog.current()?.count }

    /// Reads the catalog snapshot now, whatever the catalog's size and the vector search policy (a feed request claims it
    /// in the background otherwise): for diagnostics (`catalogProbeReport`) and a warm start.
    public func refreshCatalogSnapshot() throws {
        while !caches.catalog.claim(force: true) { Thread.sleep(forTimeInterval: 0.05) }  // a read under way: the next one
        do { try readCatalog() } catch {
            caches.catalog.release()
            throw error
        }
    }

    /// Reads and stores the catalog snapshot (claimed).
    private func readCatalog() throws {
        let (limit, previous) = (configuration.catalogSnapshotLimit, caches.catalog.latest)
        caches.catalog.store(try read { try CatalogSnapshot.read($0, limit: limit, previous: previous) })
    }

    /// How many vectors the current catalog snapshot's read fetched (the rest came from the snapshot before it).
    public var catalogSnapshotVectorsRead: Int? { caches.catalog.current()?.vectorsRead }

    /// Runs blocking work on a Dispatch thread and resumes the caller with its result.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result(catching: work)) }
        }
    }

    /// `url` with `connect_timeout` added unless it sets one.
    static func withConnectTimeout(_ url: String, seconds: Int) -> String {
        guard !url.contains("connect_timeout") else { return url }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "connect_timeout=\(seconds)"
        }
        return url + " connect_timeout=\(seconds)"
    }
}

extension RankingError {
    /// The typed form of a database failure.
    init(_ error: PQError, statementTimeout: TimeInterval? = nil) {
        switch error {
        case .connectionFailed(let m), .connectionLost(let m):
            self = .databaseUnavailable(m)
        case .server(let e) where error.isTransient:
            self = .databaseUnavailable(e.message)
        case .server(let e) where e.sqlState.rawValue == "57014":
            self = .timedOut(seconds: statementTimeout ?? 0)
        case .server(let e) where [.undefinedTable, .undefinedColumn, .undefinedObject].contains(e.sqlState):
            self = .schemaMissing(e.message)
        case .server(let e) where e.sqlState == .insufficientPrivilege:
            self = .permissionDenied(e.message)
        case .server(let e):
            self = .database("\(e.sqlState): \(e.message)")
        case .decoding, .misuse:
            self = .database(error.description)
        }
    }
}
