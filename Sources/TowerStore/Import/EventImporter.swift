import LibPQ
import TowerConfig

/// `tower events import`: appends the events of a JSON Lines file (see `EventRecord`) to the event log.
///
/// The whole file is one transaction (see `EventImportRepository.append`): an import that fails part-way
/// writes nothing and can be re-run without appending anything twice; lines with an `event_id` already
/// recorded within TOWER_EVENT_ID_HORIZON are skipped. Events inside the recent window
/// (TOWER_WINDOW) also go to `interactions`; popularity is recomputed afterwards.
public struct EventImporter {
    /// The result of one import.
    public struct Report: Equatable, Sendable {
        public var lines: LineReport
        public var counts: EventImportRepository.AppendCounts
        /// Products whose popularity changed in the refresh after the import.
        public var popularityChanged: Int
    }

    private let connection: PQConnection
    private let settings: TowerSettings

    public init(_ connection: PQConnection, settings: TowerSettings) {
        self.connection = connection
        self.settings = settings
    }

    /// Imports `path`; `progress` receives the number of lines read since its last call.
    public func importFile(path: String, progress: (Int) -> Void = { _ in }) throws -> Report {
        var lines = LineReport()
        let eventTypes = settings.eventTypes
        let counts = try EventImportRepository(connection, windowSeconds: settings.windowSeconds,
                                           eventIDHorizonSeconds: settings.eventIDHorizonSeconds).append { add in
            try RecordReader.read(path: path, report: &lines, progress: progress,
                                  parse: { try EventRecord($0, eventTypes: eventTypes) }, accept: add)
        }
        let changed = try PopularityRepository(connection, eventTypes: eventTypes,
                                               periodSeconds: settings.popularityPeriodSeconds).refresh()
        return Report(lines: lines, counts: counts, popularityChanged: changed)
    }
}
