import LibPQ
import TowerConfig
import TowerEvaluation
import TowerModel
import TowerRerank
import TowerStore

/// The tables the served feed reads besides the vectors, and the served re-ranker. `tower train` writes them after
/// the model, `tower rerank publish` for a model file; towerd's sweep keeps trending and co-visitation current.
public struct ServingTables {
    private let connection: PQConnection
    private let eventTypes: EventTypes

    public init(_ connection: PQConnection, eventTypes: EventTypes) {
        self.connection = connection
        self.eventTypes = eventTypes
    }

    /// Events in the log: the total `refresh`'s progress counts towards.
    public func eventCount() throws -> Int { try EventLogRepository(connection).count() }

    /// Recomputes `product_trending` and `product_neighbors` (co-visitation) from the whole event log (what is served,
    /// not only the training period); `progress` hears of events read. Returns the products trending and the neighbour rows.
    public func refresh(progress: (Int) -> Void = { _ in }) throws -> (trending: Int, neighbors: Int) {
        let trending = try TrendingRepository(connection, eventTypes: eventTypes).refresh()
        return (trending, try NeighborRepository(connection, eventTypes: eventTypes).refresh(progress: progress))
    }

    /// Replaces `product_neighbors` kind `similar` with the item-vector neighbours of `model` over `catalog` for the
    /// products with events, when its re-ranker's candidates read them. Returns the rows written, nil when none are read.
    public func writeSimilar(_ model: UserTowerModel, catalog: CatalogVectors) throws -> Int? {
        guard model.rerank?.candidates.usesItemNeighbors == true else { return nil }
        let ranker = CatalogRanker(dimension: catalog.dimension, items: Evaluator.itemVectors(of: model, catalog: catalog),
                                   isCandidate: catalog.active)
        let rows = try EventLogRepository(connection).productIDs().compactMap { catalog.index(of: $0).map(Int.init) }
        return try NeighborRepository(connection, eventTypes: eventTypes)
            .write(similar: ItemNeighbors.nearest(ranker, productIDs: catalog.productIDs, rows: rows))
    }

    /// Makes `model`'s re-ranker the served one; returns its version (nil, and nothing done, when it has none).
    public func publish(_ model: UserTowerModel) throws -> String? {
        guard let rerank = model.rerank else { return nil }
        try RerankParameterRepository(connection).publish(rerank, eventWeights: eventTypes.weights)
        return rerank.version
    }
}
