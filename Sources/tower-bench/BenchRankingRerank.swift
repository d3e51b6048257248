import Foundation
import LibPQ
import TowerConfig
import TowerModel
import TowerRanking
import TowerRerank
import TowerStore
import TowerTraining

/// The two-stage scenario of `tower-bench ranking`: synthetic recent events, the serving tables and a
/// published re-ranker, so feeds re-rank their first positions as in a shop after `tower train`.
extension BenchRankingCommand {
    /// Logs `eventsPerCustomer` events (Zipf-like popularity, 70/25/5 % views/clicks/carts over the last two
    /// days) for customers 1…`customers` (their window history too) and as many background customers, then
    /// refreshes product_trending and product_neighbors (kind ease too) and publishes a re-ranker with fixed weights in the trained shape.
    static func prepareRerank(_ writer: PQConnection, products: Int, customers: Int, eventsPerCustomer: Int = 10,
                              candidates: CandidateSettings = CandidateSettings()) throws {
        let start = Date()
        try writer.execute("SELECT setseed(0.42)")
        try writer.execute("""
            INSERT INTO events (customer_id, product_id, event_name, occurred_at)
            SELECT c, 1 + floor(power(random(), 3) * $1::int)::bigint,
                   CASE WHEN r < 0.70 THEN 'product_viewed' WHEN r < 0.95 THEN 'product_clicked' ELSE 'product_added_to_cart' END,
                   now() - random() * interval '2 days'
            FROM generate_series(1, $2::int) c, generate_series(1, $3::int) e, LATERAL (SELECT random() + 0 * e AS r) x
            ORDER BY 4
            """, [products, 2 * customers, eventsPerCustomer])
        try writer.execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
            SELECT customer_id, product_id, event_name, occurred_at, event_id FROM events WHERE customer_id <= $1::int
            """, [customers])
        let types = EventTypes.default
        try TrendingRepository(writer, eventTypes: types).refresh()
        var rows = try NeighborRepository(writer, eventTypes: types).refresh()
        // Kind ease in the shape `tower train` writes (up to 100 per product with events): the co-visitation lists
        // scaled, since an EASE fit of synthetic events says nothing about latency and costs a minute at 20,000 products.
        rows += try writer.execute("""
            INSERT INTO product_neighbors (product_id, kind, neighbor_id, score)
            SELECT product_id, 'ease', neighbor_id, score / 10 FROM product_neighbors WHERE kind = 'covisit'
            """)
        let parameters = try publishRerank(writer, version: "bench", candidates: candidates)
        print(String(format: "# %d products: %d events, %d neighbour rows, re-ranker published in %.1f s (re-rank the first %d of %d+%d+%d+%d candidates)",
                     products, 2 * customers * eventsPerCustomer, rows, Date().timeIntervalSince(start), parameters.candidates.rerank,
                     parameters.candidates.similar, parameters.candidates.repeat, parameters.candidates.covisit, parameters.candidates.popular))
    }

    /// Publishes a re-ranker of the shape `tower train` publishes (`candidates`, 8 hidden units) with hand-set weights:
    /// training needs a user tower behind the customer vectors, which the synthetic catalog does not have, and the
    /// latency depends on the shape only.
    @discardableResult
    static func publishRerank(_ writer: PQConnection, version: String, candidates: CandidateSettings) throws -> RerankParameters {
        var parameters = RerankParameters(version: version, hidden: RerankTrainingOptions().hidden, candidates: candidates)
        for (feature, weight) in [("cosine", 4), ("repeat_decayed", 1), ("covisit", 2), ("bought", 2), ("popularity_7d", 0.2)] as [(String, Float)] {
            parameters.linear[RerankFeatures.names.firstIndex(of: feature)!] = weight
        }
        try RerankParameterRepository(writer).publish(parameters, eventWeights: EventTypes.default.weights)
        return parameters
    }
}
