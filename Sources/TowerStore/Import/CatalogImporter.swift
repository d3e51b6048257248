import LibPQ
import TowerConfig

/// `tower catalog import`: upserts the products of a JSON Lines file (see `ProductRecord`).
///
/// Products are written in batches, each in its own transaction, so a failure leaves whole batches
/// only; re-running the file is safe because upserts by id are idempotent. Afterwards popularity is
/// recomputed, so new products rank by their events at once.
public struct CatalogImporter {
    /// The result of one import.
    public struct Report: Equatable, Sendable {
        public var lines: LineReport
        public var counts: CatalogRepository.UpsertCounts
        /// Products whose popularity changed in the refresh after the import.
        public var popularityChanged: Int
    }

    private let connection: PQConnection
    private let settings: TowerSettings
    /// Records per transaction.
    public var batchSize = 5_000

    public init(_ connection: PQConnection, settings: TowerSettings) {
        self.connection = connection
        self.settings = settings
    }

    /// Imports `path`; `progress` receives the number of lines read since its last call.
    public func importFile(path: String, progress: (Int) -> Void = { _ in }) throws -> Report {
        let repository = CatalogRepository(connection)
        var lines = LineReport()
        var counts = CatalogRepository.UpsertCounts()
        var batch: [ProductRecord] = []
        batch.reserveCapacity(batchSize)
        try RecordReader.read(path: path, report: &lines, progress: progress, parse: ProductRecord.init) { record in
            batch.append(record)
            if batch.count == batchSize {
                counts = counts + (try repository.upsert(batch))
                batch.removeAll(keepingCapacity: true)
            }
        }
        counts = counts + (try repository.upsert(batch))
        let changed = try PopularityRepository(connection, eventTypes: settings.eventTypes,
                                               periodSeconds: settings.popularityPeriodSeconds).refresh()
        return Report(lines: lines, counts: counts, popularityChanged: changed)
    }
}
