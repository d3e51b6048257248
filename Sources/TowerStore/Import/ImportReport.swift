/// One rejected input line.
public struct Rejection: Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    /// The stable reason code (for events: the daemon's dead-letter reason).
    public let code: String
    public let reason: String
    public var description: String { "line \(line): \(code): \(reason)" }
}

/// What happened to the lines of one input file.
public struct LineReport: Equatable, Sendable {
    /// Lines read, blank lines included.
    public internal(set) var lines = 0
    /// Lines turned into records (and written).
    public internal(set) var accepted = 0
    /// All rejected lines.
    public private(set) var rejectedCount = 0
    /// The first `sampleLimit` rejections, in line order.
    public private(set) var rejections: [Rejection] = []
    public let sampleLimit: Int

    public init(sampleLimit: Int = 50) { self.sampleLimit = sampleLimit }

    mutating func reject(line: Int, _ rejection: any LineRejection) {
        rejectedCount += 1
        if rejections.count < sampleLimit { rejections.append(Rejection(line: line, code: rejection.code, reason: rejection.description)) }
    }
}

/// Reads a JSON Lines file into validated records: bad lines are recorded in a `LineReport` and skipped.
enum RecordReader {
    /// How many lines pass between progress calls.
    static let progressEvery = 1_000

    /// Calls `accept` with each valid record, in file order. `progress` gets the number of lines read since
    /// its previous call. Errors of `accept` (database) and of reading the file end the import.
    static func read<Record>(path: String, report: inout LineReport, progress: (Int) -> Void,
                             parse: (JSONLine) throws -> Record, accept: (Record) throws -> Void) throws {
        var sinceProgress = 0
        try JSONLinesReader.forEachLine(path: path) { line in
            report.lines += 1
            sinceProgress += 1
            if sinceProgress == progressEvery { progress(sinceProgress); sinceProgress = 0 }
            if line.isBlank { return }
            let record: Record
            do {
                record = try parse(line)
            } catch let e as any LineRejection {
                report.reject(line: line.number, e)
                return
            }
            try accept(record)
            report.accepted += 1
        }
        progress(sinceProgress)
    }
}
