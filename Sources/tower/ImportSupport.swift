import ArgumentParser
import Foundation
import LibPQ
import TowerStore

/// What the two import commands share: the file check, the schema check, progress and the rejection report.
enum ImportSupport {
    /// Exit status when the file was imported but some lines were rejected.
    static let rejectedLinesExitCode: Int32 = 2

    /// Help text on the input file, its compression and error handling.
    static let fileHelp = """
        FILE is JSON Lines (one JSON object per line), plain (.jsonl) or gzip-compressed (.jsonl.gz; gzip is \
        recognised from the content). Blank lines are skipped; unknown fields are ignored; null means absent. \
        Ids are JSON integers or numeric strings in the int64 range. Times are ISO-8601 with a zone \
        (2024-05-01T12:00:00Z, +02:00) or integer epoch milliseconds.

        A line that is malformed, lacks a required field, has a wrong type, an out-of-range id or (events) \
        an unknown event name is rejected: it is reported on stderr with its line number and reason (the first \
        50, then a count) and the good lines are still imported. Exit status: 0 when every line was imported, \
        \(rejectedLinesExitCode) when some lines were rejected, 1 on an error (nothing or, for the catalog, only whole \
        batches written).
        """

    /// Opens the database, checking that the schema is current, and counts the file's lines for the progress bar.
    static func prepare(_ global: GlobalOptions, file: String) throws -> (PQConnection, Int) {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ImportFileError.cannotOpen(path: file, reason: "no such readable file")
        }
        let connection = try global.connect()
        try Migrator(connection).requireCurrent()
        return (connection, try JSONLinesReader.countLines(path: file))
    }

    /// Prints the rejected lines to stderr and fails with `rejectedLinesExitCode` when there are any.
    static func finish(_ lines: LineReport) throws {
        guard lines.rejectedCount > 0 else { return }
        for r in lines.rejections { printError("rejected \(r)") }
        if lines.rejectedCount > lines.rejections.count {
            printError("… and \(lines.rejectedCount - lines.rejections.count) more rejected lines")
        }
        printError("\(lines.rejectedCount) of \(lines.lines) lines rejected; the other lines were imported")
        throw ExitCode(rejectedLinesExitCode)
    }
}
