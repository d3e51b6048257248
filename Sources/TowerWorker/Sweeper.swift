import Foundation
import LibPQ
import Logging
import TowerConfig
import TowerStore

/// The periodic sweep, on its own thread and connection so batches never wait for it: deletes the
/// interactions of customers who went quiet (older than the window; their vectors stay), forgets applied
/// message ids older than TOWER_PROCESSED_RETENTION and producer event ids older than TOWER_EVENT_ID_HORIZON, deletes events older than TOWER_EVENT_RETENTION from
/// the event log, and refreshes product popularity and `product_trending`; every TOWER_NEIGHBORS_INTERVAL it
/// also recomputes `product_neighbors` (co-visitation over the whole log, slower).
/// Several daemons may sweep at once: every step is idempotent.
final class Sweeper: @unchecked Sendable {
    private let configuration: DaemonConfiguration
    private let stop: StopSignal
    private let logger: Logger
    private var connection: PQConnection?
    /// When this daemon last recomputed `product_neighbors` (nil: not yet, so the first sweep does).
    private var neighborsRefreshed: ContinuousClock.Instant?

    init(configuration: DaemonConfiguration, stop: StopSignal, logger: Logger) {
        self.configuration = configuration
        self.stop = stop
        self.logger = logger
    }

    /// Sweeps now, then every TOWER_SWEEP_INTERVAL until the daemon stops.
    func run() {
        repeat {
            do {
                try sweep(now: Date())
            } catch {
                connection = nil
                logger.warning("sweep failed; it runs again at the next interval", metadata: ["error": "\(error)"])
            }
        } while !stop.wait(seconds: configuration.sweepIntervalSeconds)
    }

    /// One sweep. Deletes in chunks so no statement holds many row locks for long.
    func sweep(now: Date) throws {
        let started = ContinuousClock.now
        let c = try connection ?? PQConnection(url: configuration.databaseURL, timeouts: configuration.sweepTimeouts)
        connection = c
        let interactions = InteractionRepository(c)
        let chunk = 10_000
        /// Runs a chunked delete until it deletes less than a chunk (or the daemon stops); returns the total.
        func drain(_ delete: (Int) throws -> Int) throws -> Int {
            var total = 0
            while !stop.isStopping {
                let n = try delete(chunk)
                total += n
                if n < chunk { break }
            }
            return total
        }
        let pruned = try drain { try interactions.pruneExpired(before: now.addingTimeInterval(-configuration.settings.windowSeconds), limit: $0) }
        let forgotten = try drain {
            try interactions.forgetProcessedMessages(before: now.addingTimeInterval(-configuration.processedRetentionSeconds), limit: $0)
        }
        let forgottenEventIDs = try drain {
            try interactions.forgetEventIDs(before: now.addingTimeInterval(-configuration.settings.eventIDHorizonSeconds), limit: $0)
        }
        let expiredEvents = try configuration.settings.eventRetentionSeconds.map {
            try EventRetentionRepository(c, retentionSeconds: $0).prune(chunk: chunk)
        } ?? 0
        let popularity = try PopularityRepository(c, eventTypes: configuration.settings.eventTypes,
                                                  periodSeconds: configuration.settings.popularityPeriodSeconds).refresh()
        let trending = try TrendingRepository(c, eventTypes: configuration.settings.eventTypes).refresh()
        var neighbors: Int?
        if neighborsRefreshed.map({ ContinuousClock.now - $0 >= .seconds(configuration.neighborsIntervalSeconds) }) ?? true {
            neighbors = try NeighborRepository(c, eventTypes: configuration.settings.eventTypes).refresh()
            neighborsRefreshed = ContinuousClock.now
        }
        let d = ContinuousClock.now - started
        logger.info("sweep", metadata: [
            "trending_products": .stringConvertible(trending),
            "neighbor_rows": neighbors.map { .stringConvertible($0) } ?? "skipped",
            "pruned_interactions": .stringConvertible(pruned), "forgotten_message_ids": .stringConvertible(forgotten),
            "forgotten_event_ids": .stringConvertible(forgottenEventIDs),
            "expired_events": .stringConvertible(expiredEvents),
            "popularity_changed": .stringConvertible(popularity),
            "duration_ms": .stringConvertible(Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)),
        ])
    }
}
