import ArgumentParser
import TowerCLI
import TowerStore

/// `tower events …`: the event log.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Import events into the event log.",
        subcommands: [EventsImportCommand.self])
}

/// `tower events import FILE`: appends events to the log.
struct EventsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Append events from JSON Lines to the event log.",
        discussion: """
        Each line is one event; all fields but event_id are required:
          {"customer_id": 42, "product_id": 7, "event_name": "product_clicked",
           "occurred_at": "2024-05-01T12:00:00Z", "event_id": "order-991-line-2"}
        Each line is checked by the event contract (docs/events.md), the rules towerd applies to queue \
        messages: strict JSON, ids as integers or digit strings, event_name exactly a configured type \
        (TOWER_EVENT_WEIGHTS; default product_viewed, product_clicked, product_added_to_cart), occurred_at \
        RFC 3339 or epoch milliseconds. A refused line is reported with the daemon's reason code and skipped. \
        Events are appended in file order. The whole file is one \
        transaction: if the import fails, nothing is written and it can simply be re-run — but a file that \
        was imported completely is appended again if imported again, except lines with an event_id (the \
        producer's id of the event, 1 to 128 bytes): one already recorded within TOWER_EVENT_ID_HORIZON \
        (default 7d), by the daemon or an import, is skipped. Events newer than TOWER_WINDOW (default \
        2d) before now also enter the recent-interaction window the daemon reads. Popularity is recomputed \
        afterwards.
        """ + "\n\n" + ImportSupport.fileHelp)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The events file (.jsonl or .jsonl.gz).")
    var file: String

    func run() async throws {
        try await runReportingErrors {
            let (connection, total) = try ImportSupport.prepare(global, file: file)
            let progress = ProgressBar("importing events", total: total, unit: "lines")
            let report = try EventImporter(connection, settings: try global.settings())
                .importFile(path: file, progress: { progress.advance(by: $0) })
            progress.finish()
            print("events: \(report.counts.appended) appended (\(report.counts.interactions) inside the recent window, "
                  + "\(report.counts.duplicates) skipped as repeated event_id); "
                  + "\(report.lines.rejectedCount) lines rejected; popularity changed for \(report.popularityChanged)")
            try ImportSupport.finish(report.lines)
        }
    }
}
