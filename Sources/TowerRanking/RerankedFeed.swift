import LibPQ
import TowerRerank

/// The two-stage personalised feed: the first K positions (`candidates.rerank` of the published
/// parameters) are the re-ranker's order of the candidates — the top products by cosine, the customer's
/// recent interactions, co-visitation neighbours of those, trending and popular products, all inside the
/// filters — and the order continues with every other matching product in cosine order. Every input is
/// read in the request's snapshot and ties fall to the product id, so the order is total and every page
/// is a slice of the same order: nothing repeats or is skipped across the K boundary.
///
/// The head costs two round trips: the history with its neighbours, the trending and popular lists (and
/// the index decision's estimate) in one; the features of those candidates and the top products by cosine
/// with their features in the other.
extension ReadSession {
    func rerankedPage(customer: Int64, filters: RankingFilters, offset: Int, limit: Int, total: Int?,
                      reranker: ServedReranker) throws -> [RankedItem] {
        let ordering = Ordering.nearest(.customer(customer), reason: .personalized)
        let (head, approximate) = try rerankedHead(customer: customer, filters: filters, total: total, reranker: reranker)
        let shown = Array(head.dropFirst(offset).prefix(limit))
        guard shown.count < limit else { return shown }
        let rest = try candidates(ordering, filters, offset: max(0, offset - head.count), limit: limit - shown.count,
                                  excluding: nil, skipping: head.map(\.productID), approximate: approximate)
        return shown + rest.map(\.item)
    }

    /// The re-ranked first positions (at most `candidates.rerank`) and whether the cosine order uses the index.
    private func rerankedHead(customer: Int64, filters: RankingFilters, total: Int?,
                              reranker: ServedReranker) throws -> (items: [RankedItem], approximate: Bool) {
        let ordering = Ordering.nearest(.customer(customer), reason: .personalized)
        let settings = reranker.parameters.candidates
        let choice = try indexChoice(ordering, filters, total: total)
        guard settings.rerank > 0 else { return ([], try resolve(choice)) }
        var first = [historyStatement(customer), neighborsStatement(customer),
                     ranked(by: "t.trend_score", filters, limit: settings.popular), ranked(by: "t.weight_7d", filters, limit: settings.popular)]
        if case .estimate(let explain, _) = choice { first.append(explain) }
        let lists = try batch(first)
        let approximate = try resolve(choice, explained: lists.count > 4 ? lists[4] : nil)
        let history = try self.history(lists[0], eventWeights: reranker.eventWeights)
        let neighbors = try self.neighbors(lists[1])
        let context = RerankContext(history: history.items, covisit: neighbors[.covisit] ?? [:], bought: neighbors[.bought] ?? [:],
                                    similar: neighbors[.similar] ?? [:], categories: history.categories, priceTiers: history.priceTiers)
        let (trending, popular) = (try lists[2].rows.map { try $0.decode(0, as: Int64.self) }, try lists[3].rows.map { try $0.decode(0, as: Int64.self) })
        // The candidates besides the top by cosine, whose features are read with that top's.
        let others = RerankCandidates.merge(similar: [], history: history.items, context: context, trending: trending, popular: popular,
                                            settings: settings).map(\.productID)
        let similarLimit = max(1, settings.similar)
        let top = selection(ordering, filters, excluding: nil, limit: similarLimit, offset: 0, columns: .signals)
        let second = try batch((others.isEmpty ? [] : [signalsStatement(customer, others, filters)])
                               + [.settings(try planner(approximate: approximate, filters, atLeast: similarLimit)), top])
        var similar = try decode(second[second.count - 1], ordering, .signals)
        if approximate, similar.count < similarLimit {  // the index's stream ended early: continue it exactly
            similar = try candidates(ordering, filters, offset: 0, limit: similarLimit, excluding: nil, approximate: true, columns: .signals)
        }
        var signals = Dictionary(uniqueKeysWithValues: similar.compactMap { c in c.signals.map { (c.item.productID, $0) } })
        if !others.isEmpty {
            for s in try second[0].rows.map({ try SignalColumns.decode($0, from: 2, productID: $0.decode(0), cosine: Float($0.decode(1, as: Double.self))) }) {
                signals[s.productID] = s
            }
        }
        let merged = RerankCandidates.merge(similar: similar.map(\.item.productID), history: history.items, context: context,
                                            trending: trending, popular: popular, settings: settings)
        let candidates: [ProductSignals] = merged.compactMap { m in
            guard var s = signals[m.productID] else { return nil }  // outside the filters
            s.sources = m.sources
            return s
        }
        let cosine = Dictionary(uniqueKeysWithValues: candidates.map { ($0.productID, $0.cosine) })
        let items = Reranker.order(candidates, context: context, parameters: reranker.parameters).prefix(settings.rerank).map {
            RankedItem(productID: $0, score: 1 + Double(cosine[$0]!), reason: .personalized)
        }
        return (items, approximate)
    }

    /// The customer's window history with the categories and price tiers of its products.
    private func historyStatement(_ customer: Int64) -> Statement {
        Statement("""
            SELECT i.product_id, i.event_name, greatest(0, extract(epoch FROM now() - i.occurred_at))::float8,
                   p.category_path, p.price_tier
            FROM interactions i LEFT JOIN products p ON p.product_id = i.product_id
            WHERE i.customer_id = $1 ORDER BY i.occurred_at, i.event_id
            """, [customer])
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

    /// `product_neighbors` of the products in `customer`'s window history.
    private func neighborsStatement(_ customer: Int64) -> Statement {
        Statement("""
            SELECT product_id, kind, neighbor_id, score FROM product_neighbors
            WHERE product_id IN (SELECT product_id FROM interactions WHERE customer_id = $1)
            ORDER BY product_id, kind, score DESC, neighbor_id
            """, [customer])
    }

    /// Neighbours by kind and product, best first.
    private func neighbors(_ result: PQResult) throws -> [NeighborKind: [Int64: [Neighbor]]] {
        var out: [NeighborKind: [Int64: [Neighbor]]] = [:]
        for r in result.rows {
            guard let kind = NeighborKind(rawValue: try r.decode(1)) else { continue }
            out[kind, default: [:]][try r.decode(0), default: []].append(Neighbor(productID: try r.decode(2), score: try r.decode(3)))
        }
        return out
    }

    /// The `limit` products under `filters` with the highest `product_trending` column `column` (then id).
    private func ranked(by column: String, _ filters: RankingFilters, limit: Int) -> Statement {
        var sql = SQLBuilder()
        filters.apply(to: &sql)
        sql.require("p.embedding IS NOT NULL")
        return Statement("""
            SELECT p.product_id FROM product_trending t JOIN products p ON p.product_id = t.product_id \(sql.whereClause)
            ORDER BY \(column) DESC, p.product_id LIMIT \(sql.bind(limit))
            """, sql.parameters)
    }

    /// The product id, cosine and `SignalColumns` of the candidates `ids` that match `filters` (the others are dropped).
    private func signalsStatement(_ customer: Int64, _ ids: [Int64], _ filters: RankingFilters) -> Statement {
        var sql = SQLBuilder()
        filters.apply(to: &sql)
        sql.require("p.embedding IS NOT NULL")
        sql.require("p.product_id = ANY(\(sql.bind(PQArray(ids)))::bigint[])")
        let vector = QueryVector.customer(customer).sql(&sql)
        return Statement("""
            SELECT p.product_id, 1 - (p.embedding <=> \(vector)), \(SignalColumns.list)
            FROM products p \(SignalColumns.join) \(sql.whereClause) ORDER BY p.product_id
            """, sql.parameters)
    }
}

/// The product side of the re-ranker's features, as columns of a query over `products p` (with `join`).
enum SignalColumns {
    static let list = """
        coalesce(t.weight_1d, 0), coalesce(t.weight_7d, 0), coalesce(t.weight_30d, 0), coalesce(t.trend_score, 0), \
        extract(epoch FROM now() - p.created_at)::float8 / 86400, p.category_path, p.price_tier
        """
    static let join = "LEFT JOIN product_trending t ON t.product_id = p.product_id"

    /// The features from `list`'s columns, which start at `column`.
    static func decode(_ row: PQRow, from column: Int, productID: Int64, cosine: Float) throws -> ProductSignals {
        ProductSignals(productID: productID, cosine: cosine, weight1d: try row.decode(column), weight7d: try row.decode(column + 1),
                       weight30d: try row.decode(column + 2), trendScore: try row.decode(column + 3),
                       ageDays: Float(try row.decode(column + 4, as: Double.self)), categories: try row.decode(column + 5),
                       priceTier: try row.decodeIfPresent(column + 6), sources: [])
    }
}
