import Postgres
import TowerRerank

/// The two-stage personalised feed: the first K positions (`candidates.rerank` of the published
/// parameters) are the re-ranker's order of the candidates — the top products by cosine, the customer's
/// recent interactions, co-visitation neighbours of those, trending and popular products, all inside the
/// filters — and the order continues with every other matching product in cosine order. Every input is
/// read in the request's snapshot and ties fall to the product id, so the order is total and every page
/// is a slice of the same order: nothing repeats or is skipped across the K boundary.
extension ReadSession {
    func rerankedPage(customer: Int64, filters: RankingFilters, offset: Int, limit: Int, total: Int?,
                      reranker: ServedReranker) throws -> [RankedItem] {
        let ordering = Ordering.nearest(.customer(customer), reason: .personalized)
        let approximate = try useIndex(ordering, filters, total: total)
        let head = try rerankedHead(customer: customer, filters: filters, approximate: approximate, reranker: reranker)
        let shown = Array(head.dropFirst(offset).prefix(limit))
        guard shown.count < limit else { return shown }
        let rest = try candidates(ordering, filters, offset: max(0, offset - head.count), limit: limit - shown.count,
                                  excluding: nil, skipping: head.map(\.productID), approximate: approximate)
        return shown + rest.map(\.item)
    }

    /// The re-ranked first positions (at most `candidates.rerank`).
    private func rerankedHead(customer: Int64, filters: RankingFilters, approximate: Bool,
                              reranker: ServedReranker) throws -> [RankedItem] {
        let settings = reranker.parameters.candidates
        guard settings.rerank > 0 else { return [] }
        // The plain lookups first: the vector query below pins planner settings for the rest of the transaction.
        let history = try self.history(customer, eventWeights: reranker.eventWeights)
        let neighbors = try self.neighbors(of: Array(Set(history.items.map(\.productID))))
        let trending = try ranked(by: "t.trend_score", filters, limit: settings.popular)
        let popular = try ranked(by: "t.weight_7d", filters, limit: settings.popular)
        let similar = try candidates(.nearest(.customer(customer), reason: .personalized), filters, offset: 0,
                                     limit: max(1, settings.similar), excluding: nil, approximate: approximate)
        let context = RerankContext(history: history.items, covisit: neighbors[.covisit] ?? [:], bought: neighbors[.bought] ?? [:],
                                    similar: neighbors[.similar] ?? [:], categories: history.categories, priceTiers: history.priceTiers)
        let merged = RerankCandidates.merge(similar: similar.map(\.item.productID), history: history.items, context: context,
                                            trending: trending, popular: popular, settings: settings)
        let sources = Dictionary(uniqueKeysWithValues: merged.map { ($0.productID, $0.sources) })
        let signals = try self.signals(customer, Array(sources.keys), filters, sources: sources)
        let cosine = Dictionary(uniqueKeysWithValues: signals.map { ($0.productID, $0.cosine) })
        return Reranker.order(signals, context: context, parameters: reranker.parameters).prefix(settings.rerank).map {
            RankedItem(productID: $0, score: 1 + Double(cosine[$0]!), reason: .personalized)
        }
    }

    /// The customer's window history with the categories and price tiers of its products.
    private func history(_ customer: Int64, eventWeights: [String: Float])
        throws -> (items: [HistoryItem], categories: [Int64: [String]], priceTiers: [Int64: String]) {
        var items: [HistoryItem] = [], categories: [Int64: [String]] = [:], tiers: [Int64: String] = [:]
        for r in try connection.query("""
            SELECT i.product_id, i.event_name, greatest(0, extract(epoch FROM now() - i.occurred_at))::float8,
                   p.category_path, p.price_tier
            FROM interactions i LEFT JOIN products p ON p.product_id = i.product_id
            WHERE i.customer_id = $1 ORDER BY i.occurred_at, i.event_id
            """, [customer]).rows {
            let id: Int64 = try r.decode(0)
            items.append(HistoryItem(productID: id, weight: eventWeights[try r.decode(1, as: String.self)] ?? 0,
                                     ageSeconds: Float(try r.decode(2, as: Double.self))))
            if let c: [String] = try r.decodeIfPresent(3) { categories[id] = c }
            if let t: String = try r.decodeIfPresent(4) { tiers[id] = t }
        }
        return (items, categories, tiers)
    }

    /// `product_neighbors` of `products`, by kind and product, best first.
    private func neighbors(of products: [Int64]) throws -> [NeighborKind: [Int64: [Neighbor]]] {
        guard !products.isEmpty else { return [:] }
        var out: [NeighborKind: [Int64: [Neighbor]]] = [:]
        for r in try connection.query("""
            SELECT product_id, kind, neighbor_id, score FROM product_neighbors WHERE product_id = ANY($1::bigint[])
            ORDER BY product_id, kind, score DESC, neighbor_id
            """, [PostgresArray(products)]).rows {
            guard let kind = NeighborKind(rawValue: try r.decode(1)) else { continue }
            out[kind, default: [:]][try r.decode(0), default: []].append(Neighbor(productID: try r.decode(2), score: try r.decode(3)))
        }
        return out
    }

    /// The `limit` products under `filters` with the highest `product_trending` column `column` (then id).
    private func ranked(by column: String, _ filters: RankingFilters, limit: Int) throws -> [Int64] {
        guard limit > 0 else { return [] }
        var sql = SQLBuilder()
        filters.apply(to: &sql)
        sql.require("p.embedding IS NOT NULL")
        return try connection.query("""
            SELECT p.product_id FROM product_trending t JOIN products p ON p.product_id = t.product_id \(sql.whereClause)
            ORDER BY \(column) DESC, p.product_id LIMIT \(sql.bind(limit))
            """, sql.parameters).rows.map { try $0.decode(0) }
    }

    /// The product side of the features of the candidates `ids` that match `filters` (the others are dropped).
    private func signals(_ customer: Int64, _ ids: [Int64], _ filters: RankingFilters,
                         sources: [Int64: CandidateSources]) throws -> [ProductSignals] {
        var sql = SQLBuilder()
        filters.apply(to: &sql)
        sql.require("p.embedding IS NOT NULL")
        sql.require("p.product_id = ANY(\(sql.bind(PostgresArray(ids)))::bigint[])")
        let vector = QueryVector.customer(customer).sql(&sql)
        return try connection.query("""
            SELECT p.product_id, 1 - (p.embedding <=> \(vector)), coalesce(t.weight_1d, 0), coalesce(t.weight_7d, 0),
                   coalesce(t.weight_30d, 0), coalesce(t.trend_score, 0),
                   extract(epoch FROM now() - p.created_at)::float8 / 86400, p.category_path, p.price_tier
            FROM products p LEFT JOIN product_trending t ON t.product_id = p.product_id \(sql.whereClause)
            ORDER BY p.product_id
            """, sql.parameters).rows.map { r in
            let id: Int64 = try r.decode(0)
            return ProductSignals(productID: id, cosine: Float(try r.decode(1, as: Double.self)),
                                  weight1d: try r.decode(2), weight7d: try r.decode(3), weight30d: try r.decode(4),
                                  trendScore: try r.decode(5), ageDays: Float(try r.decode(6, as: Double.self)),
                                  categories: try r.decode(7), priceTier: try r.decodeIfPresent(8), sources: sources[id] ?? [])
        }
    }
}
