import Foundation
import Postgres

/// The queries of one request, all inside one read-only, repeatable-read transaction (one snapshot:
/// the mode check, the total and the page agree with each other).
struct ReadSession {
    let connection: PostgresConnection
    let configuration: RankerConfiguration
    let indexCache: VectorIndexCache

    /// Sets transaction-local settings (names and values are parameters too).
    func set(_ settings: [(String, String)]) throws {
        guard !settings.isEmpty else { return }
        var sql = SQLBuilder()
        let calls = settings.map { "set_config(\(sql.bind($0.0)), \(sql.bind($0.1)), true)" }
        try connection.query("SELECT " + calls.joined(separator: ", "), sql.parameters)
    }

    func customerHasVector(_ customer: Int64) throws -> Bool {
        try connection.query("SELECT 1 FROM user_vectors WHERE customer_id = $1", [customer]).count > 0
    }

    /// Throws `productNotFound` / `productHasNoVector` unless the product has a vector.
    func requireProductVector(_ product: Int64) throws {
        let r = try connection.query("SELECT embedding IS NOT NULL FROM products WHERE product_id = $1", [product])
        guard r.count > 0 else { throw RankingError.productNotFound(product) }
        guard try r[0].decode(0, as: Bool.self) else { throw RankingError.productHasNoVector(product) }
    }

    /// Number of products `ordering` can place under `filters`.
    func count(_ ordering: Ordering, _ filters: RankingFilters, excluding: Int64? = nil) throws -> Int {
        let sql = conditions(ordering, filters, excluding: excluding)
        return try connection.query("SELECT count(*) FROM products p \(sql.whereClause)", sql.parameters)[0].decode(0)
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
                                  categories: true, vectors: diversity.needsVectors)
        let reordered = diversity.reorder(pool, perPage: limit, count: min(offset + limit, pool.count))
        var items = reordered.dropFirst(offset).map(\.item)
        if offset + limit > window, pool.count == window {
            items += try candidates(ordering, filters, offset: window, limit: offset + limit - window, excluding: excluding,
                                    approximate: approximate).map(\.item)
        }
        return items
    }

    /// Whether a vector ordering goes through the HNSW index: the policy allows it (the index exists and,
    /// under `automatic`, the catalog reaches the threshold) and there is no allow list. Under `automatic`,
    /// filters that leave fewer candidates than the threshold get an exact scan too: exact over few rows
    /// is fast and exact, where a filtered graph walk is slower and misses. The candidates are the total
    /// when it was counted, else the planner's estimate (statistics only: counting them would cost as
    /// much as the exact scan). Neither depends on the page, so all pages of a request share one order.
    func useIndex(_ ordering: Ordering, _ filters: RankingFilters, total: Int?) throws -> Bool {
        guard filters.productIDs == nil, try indexCache.current(connection).usesIndex(configuration.vectorSearch) else { return false }
        guard case .automatic(let threshold) = configuration.vectorSearch, filters.narrowsCandidates else { return true }
        let candidates = try total.map(Double.init) ?? estimatedCandidates(ordering, filters)
        return candidates >= Double(threshold)
    }

    /// The planner's row estimate for `filters` (EXPLAIN: nothing is read).
    private func estimatedCandidates(_ ordering: Ordering, _ filters: RankingFilters) throws -> Double {
        var sql = SQLBuilder()
        filters.apply(to: &sql, positional: false)
        if let required = ordering.requiredSQL { sql.require(required) }
        let plan: String = try connection.query("EXPLAIN (FORMAT JSON) SELECT 1 FROM products p \(sql.whereClause)",
                                                sql.parameters)[0].decode(0)
        guard let top = (try? JSONSerialization.jsonObject(with: Data(plan.utf8))) as? [[String: Any]],
              let rows = ((top.first?["Plan"] as? [String: Any])?["Plan Rows"] as? NSNumber)?.doubleValue else {
            throw RankingError.database("unexpected EXPLAIN output: \(plan.prefix(200))")
        }
        return rows
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
                    skipping: [Int64] = [], approximate: Bool, categories: Bool = false, vectors: Bool = false) throws -> [Candidate] {
        let slice = { (limit: Int?, offset: Int, skipping: [Int64]) throws -> [Candidate] in
            try select(ordering, filters, excluding: excluding, skipping: skipping, limit: limit, offset: offset,
                       categories: categories, vectors: vectors)
        }
        guard ordering.isVector else { return try slice(limit, offset, skipping) }
        try set(planner(approximate: approximate))
        let rows = try slice(limit, offset, skipping)
        guard approximate, rows.count < limit else { return rows }
        let stream = try slice(nil, 0, skipping)
        try set(planner(approximate: false))
        let head = Array(stream.dropFirst(offset).prefix(limit))
        let rest = try slice(limit - head.count, max(0, offset - stream.count), skipping + stream.map(\.item.productID))
        return head + rest
    }

    /// Runs one SELECT of `ordering` (no LIMIT when `limit` is nil), leaving out `skipping`.
    private func select(_ ordering: Ordering, _ filters: RankingFilters, excluding: Int64?, skipping: [Int64], limit: Int?,
                        offset: Int, categories: Bool, vectors: Bool) throws -> [Candidate] {
        var sql = conditions(ordering, filters, excluding: excluding)
        if !skipping.isEmpty { sql.require("p.product_id <> ALL(\(sql.bind(PostgresArray(skipping)))::bigint[])") }
        let score = ordering.scoreSQL(&sql)
        var columns = "p.product_id, \(score) AS s"
        if categories { columns += ", p.category_path" }
        if vectors { columns += ", p.embedding" }
        var text = "SELECT \(columns) FROM products p \(sql.whereClause) ORDER BY \(ordering.orderSQL)"
        if let limit { text += " LIMIT \(sql.bind(limit))" }
        if offset > 0 { text += " OFFSET \(sql.bind(offset))" }
        return try connection.query(text, sql.parameters).rows.map { row in
            let value: Double = try row.decode(1)
            return Candidate(item: RankedItem(productID: try row.decode(0), score: ordering.score(fromColumn: value), reason: ordering.reason),
                             categoryPath: categories ? try row.decode(2) : nil,
                             vector: vectors ? try row.decodeIfPresent(categories ? 3 : 2) : nil,
                             cosine: ordering.isVector ? 1 - value : nil)
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
    /// strict-order scan with a fixed ef_search) or keep it off the index (exact scan + top-N sort).
    private func planner(approximate: Bool) -> [(String, String)] {
        let on = approximate ? "off" : "on"
        var settings = [("enable_indexscan", approximate ? "on" : "off"), ("enable_seqscan", on),
                        ("enable_bitmapscan", on), ("enable_sort", on)]
        if approximate {
            settings += [("hnsw.iterative_scan", "strict_order"), ("hnsw.ef_search", String(configuration.efSearch)),
                         ("hnsw.max_scan_tuples", String(configuration.maxScanTuples))]
        }
        return settings
    }
}
