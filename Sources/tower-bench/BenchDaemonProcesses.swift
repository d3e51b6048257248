import Foundation

/// `towerd` processes under benchmark: started with an environment, their JSON log read for the per-batch
/// summary lines (`duration_ms` = receive → commit), their CPU time read from /proc.
final class BenchDaemons: @unchecked Sendable {
    struct Batch {
        var messages: Int
        var durationMs: Double
        /// Log time of the line (after the delete), and the receive time derived from `total_ms`.
        var loggedAt: Double
        var receivedAt: Double
    }

    private var processes: [Process] = []
    private let lock = NSLock()
    private var batches: [Batch] = []
    private var started = 0
    private var errors: [String] = []
    private let logFile: FileHandle?
    private let binary: URL
    private let environment: [String: String]

    /// Starts `count` daemons and waits until each logged "started"; their log lines are appended to `logPath`.
    init(binary: URL, count: Int, environment: [String: String], logPath: String?) throws {
        if let logPath {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            logFile = FileHandle(forWritingAtPath: logPath)
        } else {
            logFile = nil
        }
        self.binary = binary
        self.environment = environment
        processes = try (0..<count).map { _ in try spawn() }
        try waitUntilStarted(count)
    }

    private func spawn() throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.environment = environment
        p.currentDirectoryURL = FileManager.default.temporaryDirectory
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let reader = LineReader { [weak self] line in self?.consume(line) }
        out.fileHandleForReading.readabilityHandler = { reader.append($0.availableData) }
        try p.run()
        return p
    }

    /// Waits until `count` "started" lines were logged in all.
    private func waitUntilStarted(_ count: Int) throws {
        let deadline = Date().addingTimeInterval(60)
        while lock.withLock({ started }) < count {
            if let dead = processes.first(where: { !$0.isRunning }) {
                throw BenchError.daemon("towerd exited with status \(dead.terminationStatus) at start: \(lock.withLock { errors.joined(separator: "; ") })")
            }
            guard Date() < deadline else { throw BenchError.daemon("towerd did not start within 60 s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// How many daemons run (the index range of `killAndRestart`).
    var count: Int { processes.count }

    /// `kill -9` of daemon `index` (no chance to finish its batches), then a new one in its place, started.
    func killAndRestart(_ index: Int) throws {
        let victim = processes[index]
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let before = lock.withLock { started }
        processes[index] = try spawn()
        try waitUntilStarted(before + 1)
    }

    deinit { for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) } }

    private func consume(_ line: Data) {
        logFile?.write(line + Data("\n".utf8))
        guard let o = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let msg = o["msg"] as? String else { return }
        lock.withLock {
            switch msg {
            case "started": started += 1
            case "batch":
                guard let ts = (o["ts"] as? String).flatMap({ try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) }),
                      let messages = o["messages"] as? Int, let duration = (o["duration_ms"] as? NSNumber)?.doubleValue,
                      let total = (o["total_ms"] as? NSNumber)?.doubleValue else { return }
                let logged = ts.timeIntervalSince1970
                batches.append(Batch(messages: messages, durationMs: duration, loggedAt: logged, receivedAt: logged - total / 1000))
            default:
                if (o["level"] as? String).map({ ["error", "critical"].contains($0) }) == true { errors.append(msg) }
            }
        }
    }

    /// Messages processed so far (all outcomes).
    var consumed: Int { lock.withLock { batches.reduce(0) { $0 + $1.messages } } }

    /// Waits until `total` messages were processed.
    func waitUntilConsumed(_ total: Int, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var seen = consumed, lastProgress = Date()
        while seen < total {
            if let dead = processes.first(where: { !$0.isRunning }) {
                throw BenchError.daemon("towerd exited with status \(dead.terminationStatus): \(lock.withLock { errors.joined(separator: "; ") })")
            }
            guard Date() < deadline else { throw BenchError.daemon("only \(seen) of \(total) events processed within \(Int(timeout)) s") }
            // A daemon that stopped making progress (every batch failing, database unreachable) ends the run early.
            guard Date().timeIntervalSince(lastProgress) < Self.stallSeconds else {
                let recent = lock.withLock { errors.suffix(3).joined(separator: "; ") }
                throw BenchError.daemon("no event processed for \(Int(Self.stallSeconds)) s (\(seen) of \(total))"
                                        + (recent.isEmpty ? "" : "; its last errors: \(recent)"))
            }
            Thread.sleep(forTimeInterval: 0.05)
            let now = consumed
            if now != seen { seen = now; lastProgress = Date() }
        }
    }

    /// How long the daemons may go without processing an event before the run is abandoned.
    static let stallSeconds = 60.0

    /// CPU seconds (user + system) the daemons used so far.
    var cpuSeconds: Double { processes.reduce(0) { $0 + BenchCPU.seconds(pid: $1.processIdentifier) } }

    /// SIGTERM, then waits for exit 0.
    func stop() throws {
        for p in processes { kill(p.processIdentifier, SIGTERM) }
        for p in processes {
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw BenchError.daemon("towerd exited with status \(p.terminationStatus) after SIGTERM") }
        }
    }

    /// The batches so far.
    var batchLog: [Batch] { lock.withLock { batches } }
}

/// Splits a byte stream into lines.
final class LineReader: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private let onLine: (Data) -> Void

    init(_ onLine: @escaping (Data) -> Void) { self.onLine = onLine }

    func append(_ data: Data) {
        let lines: [Data] = lock.withLock {
            buffer.append(data)
            var out: [Data] = []
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                out.append(Data(buffer[buffer.startIndex..<newline]))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
            return out
        }
        lines.forEach(onLine)
    }
}

/// The Python peer consumer (/work/shared/bench/python-peer): set up in its own database, fed by the same
/// producer, run until its queue stays empty; its STATS_FILE summary is the result.
struct BenchPeer {
    let directory: URL
    let python: URL
    let environment: [String: String]

    /// Loads the peer's schema, products and history into `databaseURL` and creates its queue; returns the queue URL.
    func setUp(databaseURL: String, workload: BenchWorkload, queueName: String, endpoint: String) throws -> String {
        let output = try run(script: "peer_setup.py", extra: [
            "DATABASE_URL": databaseURL, "SQS_ENDPOINT": endpoint, "QUEUE_NAME": queueName, "PRODUCTS": "\(workload.products)",
            "CUSTOMERS": "\(workload.customers)", "EVENTS": "0", "HISTORY_PER_CUSTOMER": "\(workload.historyPerCustomer)",
            "ZIPF_S": "\(workload.zipfExponent)", "SEED": "\(workload.seed % 1_000_000)",
        ])
        guard let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("http") else {
            throw BenchError.peer("peer_setup.py printed no queue URL: \(output)")
        }
        return url
    }

    /// Starts the consumer; it exits after a few empty receives in a row.
    func startConsumer(databaseURL: String, queueURL: String, statsFile: String) throws -> Process {
        let p = try process(script: "peer_consumer.py", extra: [
            "DATABASE_URL": databaseURL, "QUEUE_URL": queueURL, "WAIT_TIME_SECONDS": "1", "EXIT_WHEN_IDLE": "3",
            "STATS_FILE": statsFile, "OPENBLAS_NUM_THREADS": "1", "LOG_LEVEL": "WARNING",
        ])
        try p.run()
        return p
    }

    /// The summary the consumer wrote.
    static func summary(statsFile: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: statsFile),
              let o = try JSONSerialization.jsonObject(with: data) as? [String: Any], let s = o["summary"] as? [String: Any] else {
            throw BenchError.peer("no summary in \(statsFile)")
        }
        return s
    }

    private func process(script: String, extra: [String: String]) throws -> Process {
        let p = Process()
        p.executableURL = python
        p.arguments = [directory.appendingPathComponent(script).path]
        p.environment = environment.merging(extra) { _, new in new }
        return p
    }

    private func run(script: String, extra: [String: String]) throws -> String {
        let p = try process(script: script, extra: extra)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchError.peer("\(script) exited with \(p.terminationStatus): \(String(decoding: errors, as: UTF8.self).suffix(2000))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// CPU time of processes on this machine, from /proc (Linux).
enum BenchCPU {
    /// User + system CPU seconds of `pid` so far (0 when it cannot be read).
    static func seconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based) → indices 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds per pid, for a set of processes measured before and after a run.
    static func snapshot(_ pids: [Int32]) -> [Int32: Double] {
        Dictionary(pids.map { ($0, seconds(pid: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// CPU seconds used between `before` and `after` (processes absent before count from zero).
    static func used(before: [Int32: Double], after: [Int32: Double]) -> Double {
        after.reduce(0) { $0 + $1.value - (before[$1.key] ?? 0) }
    }
}
