import LibPQ
import TowerConfig
import TowerEvents
import TowerRerank

/// Keeps `product_neighbors` current with TowerRerank's one co-visitation function (`CoVisitation.neighbors`),
/// the same `tower evaluate` uses, over the whole event log (bounded by the event-log retention), both kinds
/// (`covisit`, `bought`), and kinds `similar` (item vectors) and `ease` (EASE weights) that `tower train` computes. The rows are written
/// with COPY and replace the old ones of their kinds in one transaction.
/// Called by `tower train` and by the daemon's sweep (TOWER_NEIGHBORS_INTERVAL; co-visitation kinds only).
public struct NeighborRepository {
    private let connection: PQConnection
    private let eventTypes: EventTypes

    public init(_ connection: PQConnection, eventTypes: EventTypes) {
        self.connection = connection
        self.eventTypes = eventTypes
    }

    /// Recomputes the co-visitation kinds from the event log; returns the number of rows written.
    @discardableResult
    public func refresh(progress: (Int) -> Void = { _ in }) throws -> Int { try write(try events(progress: progress)) }

    /// The whole event log in log order, as the neighbour functions read it; `progress` hears of events read.
    public func events(progress: (Int) -> Void = { _ in }) throws -> [CoVisitEvent] {
        try EventLogRepository(connection).events(progress: progress).map {
            CoVisitEvent(customerID: $0.customerID, productID: $0.productID, weight: eventTypes.weights[$0.eventName] ?? 0)
        }
    }

    /// Replaces the co-visitation kinds (`covisit`, `bought`) with the neighbours of `events` (in log order).
    @discardableResult
    public func write(_ events: [CoVisitEvent]) throws -> Int {
        let threshold = CoVisitation.boughtThreshold(weights: eventTypes.weights)
        return try replace(NeighborKind.coVisitation.map {
            ($0, CoVisitation.neighbors(of: events, kind: $0, boughtThreshold: threshold))
        })
    }

    /// Replaces the rows of one kind computed elsewhere: `similar` (`ItemNeighbors` of the model `tower train` wrote) or
    /// `ease` (`EASENeighbors`); an empty dictionary removes the kind.
    @discardableResult
    public func write(_ kind: NeighborKind, _ neighbors: [Int64: [Neighbor]]) throws -> Int { try replace([(kind, neighbors)]) }

    /// Replaces the rows of the given kinds, in one transaction; other kinds stay.
    private func replace(_ kinds: [(NeighborKind, [Int64: [Neighbor]])]) throws -> Int {
        try connection.transaction {
            try connection.execute("DELETE FROM product_neighbors WHERE kind = ANY($1::text[])", [PQArray(kinds.map(\.0.rawValue))])
            return try connection.copyIn("COPY product_neighbors (product_id, kind, neighbor_id, score) FROM STDIN") { write in
                for (kind, neighbors) in kinds {
                    for product in neighbors.keys.sorted() {
                        for n in neighbors[product]! {
                            try write(CopyText.row([product, kind.rawValue, n.productID, n.score]))
                        }
                    }
                }
            }
        }
    }
}
