import LibPQ
import TowerRerank

/// The two-stage personalised feed: the first K positions (`candidates.rerank` of the published
/// parameters) are the re-ranker's order of the candidates — the top products by cosine, the customer's
/// recent interactions, co-visitation neighbours of those, trending and popular products, all inside the
/// filters — and the order continues with every other matching product in cosine order. Ties fall to the
/// product id, so the order is total and every page is a slice of the same order: nothing repeats or is
/// skipped across the K boundary.
///
/// What is the customer's own — the vector, the window history, the top products by cosine — is read in
/// the request; what is the same for every customer comes from `ServingCaches` (docs/ranking.md). With
/// warm caches the head costs one round trip besides the request's first (which carries the vector and the
/// history): the top by cosine; cache misses add the neighbour lists, trending lists and product facts.
extension ReadSession {
    /// The statements a re-ranked request sends in its first round trip: the customer's vector with the
    /// database's clock (no row: no vector), and the window history.
    static func rerankInputs(_ customer: Int64) -> [Statement] {
        [Statement("SELECT embedding, extract(epoch FROM now())::float8 FROM user_vectors WHERE customer_id = $1", [customer],
                   prepared: "tower_customer_vector"),
         Statement("""
            SELECT i.product_id, i.event_name, greatest(0, extract(epoch FROM now() - i.occurred_at))::float8,
                   p.category_path, p.price_tier
            FROM interactions i LEFT JOIN products p ON p.product_id = i.product_id
            WHERE i.customer_id = $1 ORDER BY i.occurred_at, i.event_id
            """, [customer], prepared: "tower_customer_history")]
    }

    /// Positions `offset ..< offset + limit`; `inputs`: the results of `rerankInputs` (the customer has a vector).
    func rerankedPage(customer: Int64, inputs: [PQResult], filters: RankingFilters, offset: Int, limit: Int,
                      total: Int?, reranker: ServedReranker) throws -> [RankedItem] {
        let ordering = Ordering.nearest(.customer(customer), reason: .personalized)
        let (head, approximate) = try rerankedHead(inputs: inputs, ordering: ordering, filters: filters, total: total,
                                                   reranker: reranker)
        let shown = Array(head.dropFirst(offset).prefix(limit))
        guard shown.count < limit else { return shown }
        let rest = try candidates(ordering, filters, offset: max(0, offset - head.count), limit: limit - shown.count,
                                  excluding: nil, skipping: head.map(\.productID), approximate: approximate)
        return shown + rest.map(\.item)
    }

    /// The re-ranked first positions (at most `candidates.rerank`) and whether the cosine order uses the index.
    private func rerankedHead(inputs: [PQResult], ordering: Ordering, filters: RankingFilters, total: Int?,
                              reranker: ServedReranker) throws -> (items: [RankedItem], approximate: Bool) {
        let settings = reranker.parameters.candidates
        let choice = try indexChoice(ordering, filters, total: total)
        guard settings.rerank > 0 else { return ([], try resolve(choice)) }
        let query: [Float] = try inputs[0][0].decode(0), now: Double = try inputs[0][0].decode(1)
        let history = try self.history(inputs[1], eventWeights: reranker.eventWeights)

        // What the caches lack: the history's neighbour lists, the trending and popular lists, the index estimate.
        let touched = Set(history.items.map(\.productID)).sorted()
        var neighborLists = caches.neighbors.values(for: touched)
        let unlisted = touched.filter { neighborLists[$0] == nil }
        let keys = ["t.trend_score", "t.weight_7d"].map { RankedListKey(filters: filters, column: $0, limit: settings.popular) }
        var lists = caches.lists.values(for: keys)
        let unread = keys.filter { lists[$0] == nil }
        // A category to scan whose members are not cached is walked this time, and read in the background.
        let scanned = try scannedCategory(filters)
        let members = scanned.flatMap { caches.categories.value(for: $0) }
        if let scanned, members == nil, caches.categories.claim(scanned) { backgroundReads.append(.category(scanned)) }
        var statements = (unlisted.isEmpty ? [] : [neighborsStatement(unlisted)]) + unread.map(ranked)
        if case .estimate(let explain, _, _) = choice { statements.append(explain) }
        let results = statements.isEmpty ? [] : try batch(statements)
        if !unlisted.isEmpty {
            let read = try neighbors(results[0], of: unlisted)
            caches.neighbors.store(read)
            neighborLists.merge(read) { old, _ in old }
        }
        for (i, key) in unread.enumerated() {
            lists[key] = try results[(unlisted.isEmpty ? 0 : 1) + i].rows.map { try $0.decode(0, as: Int64.self) }
            caches.lists.store(lists[key]!, for: key)
        }
        let approximate = try resolve(choice, explained: choice.isEstimate ? results.last : nil)
        // Without a scanned category, the catalog snapshot (when there is one) replaces a walk of the catalog's index.
        let catalog = approximate && scanned == nil ? catalogSnapshot(filters) : nil

        func kind(_ k: NeighborKind) -> [Int64: [Neighbor]] { neighborLists.compactMapValues { $0[k] } }
        let context = RerankContext(history: history.items, covisit: kind(.covisit), bought: kind(.bought), similar: kind(.similar), ease: kind(.ease),
                                    categories: history.categories, priceTiers: history.priceTiers)
        let (trending, popular) = (lists[keys[0]] ?? [], lists[keys[1]] ?? [])
        // The candidates besides the top by cosine, whose facts the caches may lack, read with that top.
        let otherCandidates = RerankCandidates.merge(similar: [], history: history.items, context: context, trending: trending,
                                                     popular: popular, settings: settings)
        let others = otherCandidates.map(\.productID)
        // The snapshot's facts come without vectors, with the cosines of those inside the filters instead.
        var (facts, cosines) = catalog?.facts(of: others, query: query, filters: filters) ?? ([:], [:])
        facts.merge(caches.products.values(for: others.filter { facts[$0] == nil })) { snapshot, _ in snapshot }
        let similarLimit = max(1, settings.similar)
        let top: [(id: Int64, cosine: Float, facts: ProductFacts)]
        // In memory when it can be: the catalog's top by cosine from the snapshot's inverted-file index, or a category with
        // its own index scanned exactly from its cached members. No walk, and no round trip when the other candidates'
        // facts are at hand too. The category scan is cheap, so it fills the head (K) even when few other candidates lie
        // in the category: pages up to K then never wait for the category's walk.
        let inMemory = approximate
            ? catalog.flatMap { $0.nearest(similarLimit, query: query, filters: filters, budget: configuration.catalogProbeBudget($0.count)) }
                ?? members.flatMap { $0.table == nil ? nil : $0.nearest(max(similarLimit, settings.rerank), query: query, filters: filters) }
            : nil
        if let inMemory {
            let missing = others.filter { facts[$0] == nil }
            if !missing.isEmpty { facts.merge(try readFacts(batch([ProductFacts.statement(missing)])[0])) { read, _ in read } }
            top = inMemory
        } else {
            // The top comes with its facts (no vectors: its cosines are the database's), so it needs no cache and no
            // round trip of its own: with 1,000 customers each top of 200 mostly missed the cache.
            let statement = selection(ordering, filters, excluding: nil, limit: similarLimit, offset: 0, columns: .facts)
            let second = try batch([.settings(try planner(approximate: approximate, filters, atLeast: similarLimit)), statement]
                                   + factsStatements(others.filter { facts[$0] == nil }))
            var similar = try decode(second[1], ordering, .facts)
            if approximate, similar.count < similarLimit {  // the index's stream ended early: continue it exactly
                similar = try candidates(ordering, filters, offset: 0, limit: similarLimit, excluding: nil, approximate: true,
                                         columns: .facts)
            }
            if second.count > 2 { facts.merge(try readFacts(second[2])) { read, _ in read } }
            top = similar.map { ($0.item.productID, Float($0.cosine ?? 0), $0.facts!) }
        }
        let topIDs = top.map(\.id)
        for t in top { facts[t.id] = t.facts }

        // The top's cosines are the database's (or the scan's); the others' are the snapshot's or computed here from the
        // cached vectors.
        for t in top { cosines[t.id] = t.cosine }
        let queryNorm = Double(VectorMath.dot(query, query)).squareRoot()
        // A scanned category's top can be fuller than `similar`.
        let merged = RerankCandidates.adding(similar: topIDs, limit: max(settings.similar, topIDs.count), to: otherCandidates)
        let candidates: [ProductSignals] = merged.compactMap { m in
            guard let f = facts[m.productID] else { return nil }  // no such product
            if cosines[m.productID] == nil {
                guard filters.matches(m.productID, f), let v = f.vector, v.count == query.count else { return nil }  // outside the filters
                cosines[m.productID] = VectorMath.cosine(v, query, queryNorm: queryNorm)
            }
            var s = f.signals(m.productID, cosine: cosines[m.productID]!, now: now)
            s.sources = m.sources
            return s
        }
        let items = Reranker.order(candidates, context: context, parameters: reranker.parameters).prefix(settings.rerank).map {
            RankedItem(productID: $0, score: 1 + Double(cosines[$0]!), reason: .personalized)
        }
        return (items, approximate)
    }

    /// The top-level category of `filters` that the head scans in memory (`CategoryMembers`): one with its own index,
    /// when the caches are on and the scan is not turned off.
    private func scannedCategory(_ filters: RankingFilters) throws -> String? {
        guard configuration.categoryScanMaximum > 0, filters.productIDs == nil, let category = filters.categoryPrefix.first,
              try indexCache.current(self).usesCategoryIndex(configuration.vectorSearch, for: filters.categoryPrefix) else { return nil }
        return category
    }

    /// The catalog snapshot to rank from when the head would otherwise walk the catalog's HNSW index (no allow list, the
    /// snapshot and the serving caches are on); claims its (re)read when it is missing or stale.
    private func catalogSnapshot(_ filters: RankingFilters) -> CatalogSnapshot? {
        guard configuration.catalogSnapshotLimit > 0, configuration.productCacheSize > 0, configuration.servingCacheTTL > 0,
              filters.productIDs == nil else { return nil }
        if caches.catalog.claim() { backgroundReads.append(.catalog) }
        return caches.catalog.current()
    }

    private func factsStatements(_ ids: [Int64]) -> [Statement] { ids.isEmpty ? [] : [ProductFacts.statement(ids)] }

    /// Decodes a facts query's rows and caches them.
    private func readFacts(_ result: PQResult) throws -> [Int64: ProductFacts] {
        let read = try ProductFacts.decode(result)
        caches.products.store(read)
        return read
    }

    private func history(_ result: PQResult, eventWeights: [String: Float])
        throws -> (items: [HistoryItem], categories: [Int64: [String]], priceTiers: [Int64: String]) {
        var items: [HistoryItem] = [], categories: [Int64: [String]] = [:], tiers: [Int64: String] = [:]
        for r in result.rows {
            let id: Int64 = try r.decode(0)
            items.append(HistoryItem(productID: id, weight: eventWeights[try r.decode(1, as: String.self)] ?? 0,
                                     ageSeconds: Float(try r.decode(2, as: Double.self))))
            if let c: [String] = try r.decodeIfPresent(3) { categories[id] = c }
            if let t: String = try r.decodeIfPresent(4) { tiers[id] = t }
        }
        return (items, categories, tiers)
    }

    /// `product_neighbors` of `products`.
    private func neighborsStatement(_ products: [Int64]) -> Statement {
        Statement("""
            SELECT product_id, kind, neighbor_id, score FROM product_neighbors
            WHERE product_id = ANY($1::bigint[]) ORDER BY product_id, kind, score DESC, neighbor_id
            """, [PQArray(products)])
    }

    /// Neighbours by product (every one of `products`, empty when it has none) and kind, best first.
    private func neighbors(_ result: PQResult, of products: [Int64]) throws -> [Int64: [NeighborKind: [Neighbor]]] {
        var out = Dictionary(uniqueKeysWithValues: products.map { ($0, [NeighborKind: [Neighbor]]()) })
        for r in result.rows {
            guard let kind = NeighborKind(rawValue: try r.decode(1)) else { continue }
            out[try r.decode(0), default: [:]][kind, default: []].append(Neighbor(productID: try r.decode(2), score: try r.decode(3)))
        }
        return out
    }

    /// The `key.limit` products under `key.filters` with the highest `product_trending` column `key.column` (then id).
    private func ranked(_ key: RankedListKey) -> Statement {
        var sql = SQLBuilder()
        key.filters.apply(to: &sql)
        sql.require("p.embedding IS NOT NULL")
        return Statement("""
            SELECT p.product_id FROM product_trending t JOIN products p ON p.product_id = t.product_id \(sql.whereClause)
            ORDER BY \(key.column) DESC, p.product_id LIMIT \(sql.bind(key.limit))
            """, sql.parameters)
    }
}
