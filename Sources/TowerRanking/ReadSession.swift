import Foundation
import LibPQ

/// A serving cache that a request claimed to fill: a scanned category's members, or the catalog snapshot.
enum BackgroundRead {
    case category(String)
    case catalog
}

/// One statement of a batch: SQL text and its parameters, and the name it is prepared under when every request sends it.
struct Statement {
    let sql: String
    let parameters: [(any PQBindable)?]
    /// Set: parsed and planned once per connection (the per-request statements of the feed).
    var prepared: String?

    init(_ sql: String, _ parameters: [(any PQBindable)?] = [], prepared: String? = nil) {
        self.sql = sql
        self.parameters = parameters
        self.prepared = prepared
    }

    /// `SELECT set_config(…, true), …`: transaction-local settings (names and values are parameters too).
    static func settings(_ settings: [(String, String)]) -> Statement {
        var sql = SQLBuilder()
        let calls = settings.map { "set_config(\(sql.bind($0.0)), \(sql.bind($0.1)), true)" }
        return Statement("SELECT " + calls.joined(separator: ", "), sql.parameters, prepared: "tower_settings_\(settings.count)")
    }
}

/// The queries of one request, inside one read-only, repeatable-read transaction (one snapshot: the total and the
/// page agree with each other).
///
/// Statements go out in batches, one round trip each (libpq pipeline mode). The transaction's `BEGIN` travels in
/// front of the first batch and a request's last batch may carry the `COMMIT`, so a one-statement read is one round
/// trip. A request's first batch may instead run on its own (`alone`): a pipeline without `BEGIN` is one implicit
/// transaction, read-only and repeatable read by the session's defaults (`sessionSettings`), so a request that
/// needs nothing more (the re-ranked feed with warm caches) costs one round trip and no transaction statements.
final class ReadSession {
    let connection: PQConnection
    let configuration: RankerConfiguration
    let indexCache: VectorIndexCache
    let caches: ServingCaches
    /// Sent in front of the first batch of the transaction.
    private var opening = [Statement("BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ")]
    /// The opening went out (a failure must roll back).
    private(set) var began = false
    private var committed = false
    /// A first batch ran on its own.
    private var sentAlone = false
    /// What the ranker should read in the background after the request (claimed in the serving caches).
    var backgroundReads: [BackgroundRead] = []

    /// The settings of every connection of the ranker's pool: each implicit transaction (a batch sent `alone`) is read
    /// only and repeatable read, and JIT compilation, which costs more than these millisecond queries ever gain
    /// (PostgreSQL's default cost threshold is reached by any exact scan of a large catalog), is off.
    static let sessionSettings = [("default_transaction_read_only", "on"), ("default_transaction_isolation", "repeatable read"),
                                  ("jit", "off")]

    init(connection: PQConnection, configuration: RankerConfiguration, indexCache: VectorIndexCache, caches: ServingCaches) {
        self.connection = connection
        self.configuration = configuration
        self.indexCache = indexCache
        self.caches = caches
    }

    /// Runs `statements` in one round trip and returns their results. `last`: the COMMIT goes with them. `alone`: when
    /// no batch went out yet, this one runs in an implicit transaction of its own (its statements share one snapshot;
    /// the request's later batches share another); else it joins the transaction.
    func batch(_ statements: [Statement], last: Bool = false, alone: Bool = false) throws -> [PQResult] {
        precondition(!committed, "a batch after the request's last one")
        let alone = alone && !began && !sentAlone
        sentAlone = sentAlone || alone
        let transaction = alone ? [] : opening
        let sent = transaction + statements + (last && !alone ? [Statement("COMMIT")] : [])
        if !alone {
            opening = []
            began = true
        }
        let results = try connection.pipeline(sent.map { statement in
            guard let name = statement.prepared else { return .sql(statement.sql, statement.parameters) }
            connection.prepare(name, statement.sql)
            return .prepared(name, statement.parameters)
        })
        committed = committed || (last && !alone)
        return Array(results[transaction.count ..< transaction.count + statements.count])
    }

    /// Runs one statement (in a round trip of its own).
    @discardableResult
    func query(_ sql: String, _ parameters: [(any PQBindable)?] = []) throws -> PQResult {
        try batch([Statement(sql, parameters)])[0]
    }

    /// Runs a request's only (or last) statement with the opening and the COMMIT: one round trip.
    func finalQuery(_ sql: String, _ parameters: [(any PQBindable)?] = []) throws -> PQResult {
        try batch([Statement(sql, parameters)], last: true)[0]
    }

    /// Commits unless nothing was sent or the last batch did.
    func finish() throws {
        guard began, !committed else { return }
        committed = true
        try connection.execute("COMMIT")
    }

    /// The statement whose row count tells whether `customer` has a vector (one row: yes).
    static func vectorCheck(_ customer: Int64) -> Statement {
        Statement("SELECT 1 FROM user_vectors WHERE customer_id = $1", [customer], prepared: "tower_vector_check")
    }

    /// Throws `productNotFound` / `productHasNoVector` unless the product has a vector.
    func requireProductVector(_ product: Int64) throws {
        let r = try query("SELECT embedding IS NOT NULL FROM products WHERE product_id = $1", [product])
        guard r.count > 0 else { throw RankingError.productNotFound(product) }
        guard try r[0].decode(0, as: Bool.self) else { throw RankingError.productHasNoVector(product) }
    }

    /// Number of products `ordering` can place under `filters`.
    func count(_ ordering: Ordering, _ filters: RankingFilters, excluding: Int64? = nil) throws -> Int {
        let sql = conditions(ordering, filters, excluding: excluding)
        return try query("SELECT count(*) FROM products p \(sql.whereClause)", sql.parameters)[0].decode(0)
    }

    /// Results `offset ..< offset + limit` of `ordering` under `filters`, diversified when asked.
    /// `total`, when already counted, spares the index decision its estimate.
    func rank(_ ordering: Ordering, _ filters: RankingFilters, offset: Int, limit: Int,
              diversity: Diversity? = nil, excluding: Int64? = nil, total: Int? = nil) throws -> [RankedItem] {
        let approximate = try ordering.isVector && useIndex(ordering, filters, total: total)
        let window = (configuration.diversityWindow + limit - 1) / limit * limit
        guard let diversity, offset < window else {
            return try candidates(ordering, filters, offset: offset, limit: limit, excluding: excluding, approximate: approximate).map(\.item)
        }
        let pool = try candidates(ordering, filters, offset: 0, limit: window, excluding: excluding, approximate: approximate,
                                  columns: diversity.needsVectors ? [.categories, .vectors] : .categories)
        let reordered = diversity.reorder(pool, perPage: limit, count: min(offset + limit, pool.count))
        var items = reordered.dropFirst(offset).map(\.item)
        if offset + limit > window, pool.count == window {
            items += try candidates(ordering, filters, offset: window, limit: offset + limit - window, excluding: excluding,
                                    approximate: approximate).map(\.item)
        }
        return items
    }

    /// Whether a vector ordering goes through an HNSW index: the policy allows it (the index exists and,
    /// under `automatic`, the catalog reaches the threshold) and there is no allow list. Under `automatic`,
    /// filters that leave fewer candidates than the threshold get an exact scan too: exact over few rows
    /// is fast and exact, where a filtered graph walk is slower and misses — unless the filter's top-level
    /// category has an index of its own and leaves at least `categoryIndexMinimum` candidates; the planner
    /// then walks that category's graph (the filter's `category_path[1] = …` matches the partial index).
    /// The candidates are the total when it was counted, else the planner's estimate (statistics only:
    /// counting them would cost as much as the exact scan). Neither depends on the page, so all pages of a
    /// request share one order.
    func useIndex(_ ordering: Ordering, _ filters: RankingFilters, total: Int?) throws -> Bool {
        try resolve(indexChoice(ordering, filters, total: total))
    }

    /// The choice, running its EXPLAIN when it needs one (`explained`: that EXPLAIN's result, already read).
    func resolve(_ choice: IndexChoice, explained: PQResult? = nil) throws -> Bool {
        switch choice {
        case .known(let approximate): return approximate
        case .estimate(let explain, let threshold, let key):
            let uses = try threshold.uses(explained ?? query(explain))
            caches.indexChoices.store(uses, for: key)
            return uses
        }
    }

    /// `useIndex`'s answer, or the EXPLAIN that decides it, for callers that batch it with other statements.
    func indexChoice(_ ordering: Ordering, _ filters: RankingFilters, total: Int?) throws -> IndexChoice {
        guard filters.productIDs == nil else { return .known(false) }
        let status = try indexCache.current(self), search = configuration.vectorSearch
        let categoryIndex = status.usesCategoryIndex(search, for: filters.categoryPrefix)
        guard status.usesIndex(search) || categoryIndex else { return .known(false) }
        guard case .automatic(let threshold) = search, filters.narrowsCandidates else { return .known(true) }
        let minimum = categoryIndex ? min(configuration.categoryIndexMinimum, threshold) : threshold
        if let total { return .known(total >= minimum) }
        var key = filters
        key.excludedProductIDs = []  // they barely move the estimate
        if let known = caches.indexChoices.value(for: key) { return .known(known) }
        var sql = SQLBuilder()
        filters.apply(to: &sql, positional: false)
        if let required = ordering.requiredSQL { sql.require(required) }
        return .estimate(Statement("EXPLAIN (FORMAT JSON) SELECT 1 FROM products p \(sql.whereClause)", sql.parameters),
                         threshold: IndexThreshold(products: minimum), key: key)
    }

    /// One slice of an ordering. `approximate` pins a vector ordering to the HNSW index.
    ///
    /// The index yields one deterministic stream per query (fixed ef_search, strict order); pages are
    /// slices of it. The stream can end before the matching products do (the walk's budget,
    /// `maxScanTuples`, ran out, or strict ordering skipped products found late). The order then
    /// continues with the exact order of the products the stream did not yield: a page is never partial,
    /// every matching product appears exactly once, and every page agrees with every other.
    /// `skipping` leaves products out of the ordering (it then continues as if they were not there).
    func candidates(_ ordering: Ordering, _ filters: RankingFilters, offset: Int, limit: Int, excluding: Int64?,
                    skipping: [Int64] = [], approximate: Bool, columns: CandidateColumns = []) throws -> [Candidate] {
        let slice = { (limit: Int?, offset: Int, skipping: [Int64]) -> Statement in
            self.selection(ordering, filters, excluding: excluding, skipping: skipping, limit: limit, offset: offset, columns: columns)
        }
        guard ordering.isVector else { return try decode(query(slice(limit, offset, skipping)), ordering, columns) }
        let rows = try decode(batch([.settings(planner(approximate: approximate, filters)), slice(limit, offset, skipping)])[1], ordering, columns)
        guard approximate, rows.count < limit else { return rows }
        let stream = try decode(batch([slice(nil, 0, skipping), .settings(planner(approximate: false, filters))])[0], ordering, columns)
        let head = Array(stream.dropFirst(offset).prefix(limit))
        let rest = try decode(query(slice(limit - head.count, max(0, offset - stream.count), skipping + stream.map(\.item.productID))),
                              ordering, columns)
        return head + rest
    }

    /// Runs one statement.
    func query(_ statement: Statement) throws -> PQResult { try query(statement.sql, statement.parameters) }

    /// The SELECT of `ordering` (no LIMIT when `limit` is nil), leaving out `skipping`; pin the planner first
    /// for a vector ordering (`planner(approximate:_:)`).
    func selection(_ ordering: Ordering, _ filters: RankingFilters, excluding: Int64?, skipping: [Int64] = [], limit: Int?,
                   offset: Int, columns: CandidateColumns) -> Statement {
        var sql = conditions(ordering, filters, excluding: excluding)
        if !skipping.isEmpty { sql.require("p.product_id <> ALL(\(sql.bind(PQArray(skipping)))::bigint[])") }
        let score = ordering.scoreSQL(&sql)
        var list = "p.product_id, \(score) AS s"
        if columns.contains(.categories) { list += ", p.category_path" }
        if columns.contains(.vectors) { list += ", p.embedding" }
        if columns.contains(.facts) { list += ", " + ProductFacts.columns(vector: false) }
        var text = "SELECT \(list) FROM products p \(sql.whereClause) ORDER BY \(ordering.orderSQL)"
        if let limit { text += " LIMIT \(sql.bind(limit))" }
        if offset > 0 { text += " OFFSET \(sql.bind(offset))" }
        return Statement(text, sql.parameters)
    }

    /// The candidates of a `selection` result.
    func decode(_ result: PQResult, _ ordering: Ordering, _ columns: CandidateColumns) throws -> [Candidate] {
        try result.rows.map { row in
            let id: Int64 = try row.decode(0), value: Double = try row.decode(1)
            var next = 2
            let categories: [String]? = columns.contains(.categories) ? try row.decode(next) : nil
            if columns.contains(.categories) { next += 1 }
            let vector: [Float]? = columns.contains(.vectors) ? try row.decodeIfPresent(next) : nil
            if columns.contains(.vectors) { next += 1 }
            return Candidate(item: RankedItem(productID: id, score: ordering.score(fromColumn: value), reason: ordering.reason),
                             categoryPath: categories, vector: vector, cosine: ordering.isVector ? 1 - value : nil,
                             facts: columns.contains(.facts) ? try ProductFacts(row, from: next, vector: false) : nil)
        }
    }

    /// The WHERE conditions of `ordering` under `filters`.
    private func conditions(_ ordering: Ordering, _ filters: RankingFilters, excluding: Int64?) -> SQLBuilder {
        var sql = SQLBuilder()
        filters.apply(to: &sql)
        if let required = ordering.requiredSQL { sql.require(required) }
        if let excluding { sql.require("p.product_id <> \(sql.bind(excluding))") }
        return sql
    }

    /// Planner settings that pin a vector query to the HNSW index (every other path disabled, iterative
    /// strict-order scan with a fixed ef_search) or keep it off the index (exact scan + top-N sort). A walk
    /// through a category's own index gets `categoryEfSearch`: the query usually lies far from that graph.
    /// `atLeast`: raise ef_search to this (a query that takes that many rows at once, in one walk).
    func planner(approximate: Bool, _ filters: RankingFilters, atLeast: Int = 0) throws -> [(String, String)] {
        let on = approximate ? "off" : "on"
        var settings = [("enable_indexscan", approximate ? "on" : "off"), ("enable_seqscan", on),
                        ("enable_bitmapscan", on), ("enable_sort", on)]
        if approximate {
            let category = try indexCache.current(self).usesCategoryIndex(configuration.vectorSearch, for: filters.categoryPrefix)
            settings += [("hnsw.iterative_scan", "strict_order"),
                         ("hnsw.ef_search", String(max(atLeast, category ? configuration.categoryEfSearch : configuration.efSearch))),
                         ("hnsw.max_scan_tuples", String(configuration.maxScanTuples))]
        }
        return settings
    }
}
