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

    /// Recomputes `product_trending` and `product_neighbors` from the whole event log (what is served, not only the
    /// training period): the co-visitation kinds, and kind `ease` when `model`'s re-ranker reads it (else that kind is
    /// removed, so no feature reads neighbours it was not trained with); `progress` hears of events read. Returns the
    /// products trending, the co-visitation rows and the EASE rows (nil: not read by the model).
    public func refresh(for model: UserTowerModel?, progress: (Int) -> Void = { _ in }) throws
        -> (trending: Int, neighbors: Int, ease: Int?) {
        let trending = try TrendingRepository(connection, eventTypes: eventTypes).refresh()
        let repository = NeighborRepository(connection, eventTypes: eventTypes)
        let events = try repository.events(progress: progress)
        let neighbors = try repository.write(events)
        guard model?.rerank?.candidates.usesEASE == true else {
            try repository.write(.ease, [:])
            return (trending, neighbors, nil)
        }
        return (trending, neighbors, try repository.write(.ease, EASENeighbors.neighbors(of: events)))
    }

    /// Replaces `product_neighbors` kind `similar` with the item-vector neighbours of `model` over `catalog` for the
    /// products with events, when its re-ranker's candidates read them. Returns the rows written, nil when none are read.
    public func writeSimilar(_ model: UserTowerModel, catalog: CatalogVectors) throws -> Int? {
        guard model.rerank?.candidates.usesItemNeighbors == true else { return nil }
        let ranker = CatalogRanker(dimension: catalog.dimension, items: Evaluator.itemVectors(of: model, catalog: catalog),
                                   isCandidate: catalog.active)
        let rows = try EventLogRepository(connection).productIDs().compactMap { catalog.index(of: $0).map(Int.init) }
        return try NeighborRepository(connection, eventTypes: eventTypes)
            .write(.similar, ItemNeighbors.nearest(ranker, productIDs: catalog.productIDs, rows: rows))
    }

    /// Makes `model`'s re-ranker the served one; returns its version (nil, and nothing done, when it has none).
    public func publish(_ model: UserTowerModel) throws -> String? {
        guard let rerank = model.rerank else { return nil }
        try RerankParameterRepository(connection).publish(rerank, eventWeights: eventTypes.weights)
        return rerank.version
    }
}
