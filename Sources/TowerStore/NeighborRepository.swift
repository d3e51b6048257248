import Postgres
import TowerConfig
import TowerRerank

/// Keeps `product_neighbors` current with TowerRerank's one co-visitation function (`CoVisitation.neighbors`),
/// the same `tower evaluate` uses, over the whole event log (bounded by the event-log retention), both kinds
/// (`covisit`, `bought`). The rows are written with COPY and replace the old ones in one transaction.
/// Called by `tower train` and by the daemon's sweep (TOWER_NEIGHBORS_INTERVAL).
public struct NeighborRepository {
    private let connection: PostgresConnection
    private let eventTypes: EventTypes

    public init(_ connection: PostgresConnection, eventTypes: EventTypes) {
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

    /// Replaces the table with the neighbours of `events` (in log order), both kinds.
    @discardableResult
    public func write(_ events: [CoVisitEvent]) throws -> Int {
        let threshold = CoVisitation.boughtThreshold(weights: eventTypes.weights)
        let kinds = NeighborKind.allCases.map {
            ($0, CoVisitation.neighbors(of: events, kind: $0, boughtThreshold: threshold))
        }
        return try connection.transaction {
            try connection.execute("DELETE FROM product_neighbors")
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
