import LibPQ
import TowerConfig
import TowerRerank

/// Keeps `product_neighbors` current with TowerRerank's one co-visitation function (`CoVisitation.neighbors`),
/// the same `tower evaluate` uses, over the whole event log (bounded by the event-log retention), both kinds
/// (`covisit`, `bought`), and kind `similar` from the item vectors `tower train` computes. The rows are written
/// with COPY and replace the old ones of their kinds in one transaction.
/// Called by `tower train` and by the daemon's sweep (TOWER_NEIGHBORS_INTERVAL; co-visitation kinds only).
public struct NeighborRepository {
    private let connection: PQConnection
    private let eventTypes: EventTypes

    public init(_ connection: PQConnection, eventTypes: EventTypes) {
        self.connection = connection
        self.eventTypes = eventTypes
    }

    /// Recomputes the table from the event log; returns the number of rows written.
    @discardableResult
    public func refresh(progress: (Int) -> Void = { _ in }) throws -> Int {
        let log = try EventLogRepository(connection).events(progress: progress)
        let events = log.map {
            CoVisitEvent(customerID: $0.customerID, productID: $0.productID, weight: eventTypes.weights[$0.eventName] ?? 0)
        }
        return try write(events)
    }

    /// Replaces the co-visitation kinds (`covisit`, `bought`) with the neighbours of `events` (in log order).
    @discardableResult
    public func write(_ events: [CoVisitEvent]) throws -> Int {
        let threshold = CoVisitation.boughtThreshold(weights: eventTypes.weights)
        return try replace(NeighborKind.coVisitation.map {
            ($0, CoVisitation.neighbors(of: events, kind: $0, boughtThreshold: threshold))
        })
    }

    /// Replaces kind `similar` (item-vector neighbours, `ItemNeighbors` of the model `tower train` wrote).
    @discardableResult
    public func write(similar: [Int64: [Neighbor]]) throws -> Int { try replace([(.similar, similar)]) }

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
