import LibPQ
import TowerConfig
import TowerEvaluation
import TowerModel
import TowerRerank
import TowerStore

/// The tables the served feed reads besides the vectors: `product_trending` and `product_neighbors`,
/// recomputed from the whole event log (what is served, not only the training period). `tower train`
/// calls it after writing the model; towerd's sweep keeps them current.
enum ServingTablesSupport {
    static func refresh(_ connection: PQConnection, _ settings: TowerSettings) throws {
        let trending = try TrendingRepository(connection, eventTypes: settings.eventTypes).refresh()
        let bar = Progress("reading events for co-visitation", total: try EventLogRepository(connection).count(), unit: "events")
        let neighbors = try NeighborRepository(connection, eventTypes: settings.eventTypes).refresh { bar.advance(by: $0) }
        bar.finish()
        print("refreshed product_trending (\(trending) products) and product_neighbors (\(neighbors) rows)")
    }

    /// Replaces `product_neighbors` kind `similar` with the item-vector neighbours of `model` over `catalog` for the
    /// products with events, when its re-ranker's candidates read them.
    static func writeSimilar(_ model: UserTowerModel, catalog: CatalogVectors, _ connection: PQConnection,
                             _ settings: TowerSettings) throws {
        guard model.rerank?.candidates.usesItemNeighbors == true else { return }
        let ranker = CatalogRanker(dimension: catalog.dimension, items: Evaluator.itemVectors(of: model, catalog: catalog),
                                   isCandidate: catalog.active)
        let rows = try EventLogRepository(connection).productIDs().compactMap { catalog.index(of: $0).map(Int.init) }
        let written = try NeighborRepository(connection, eventTypes: settings.eventTypes)
            .write(similar: ItemNeighbors.nearest(ranker, productIDs: catalog.productIDs, rows: rows))
        print("wrote product_neighbors kind similar (\(written) rows, \(ItemNeighbors.defaultLimit) per product with events)")
    }

    /// Makes `model`'s re-ranker the served one (nothing when it has none).
    static func publish(_ model: UserTowerModel, _ connection: PQConnection, _ settings: TowerSettings) throws {
        guard let rerank = model.rerank else { return }
        try RerankParameterRepository(connection).publish(rerank, eventWeights: settings.eventTypes.weights)
        print("published re-ranker \(rerank.version) (ranking processes switch to it within a minute)")
    }
}
