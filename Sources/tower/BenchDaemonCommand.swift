import ArgumentParser
import Foundation
import LibPQ
import TowerConfig
import TowerMath
import TowerQueue
import TowerWorker

/// `tower bench daemon`: towerd's drain rate and batch latency under a fed queue, next to the queue's own
/// ceiling and the Python peer consumer, in one run on the same servers.
struct BenchDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Benchmark towerd against the queue's ceiling and the Python peer.",
        discussion: "Creates two scratch databases with TOWER_ADMIN_DATABASE_URL (tower_bench for towerd, tower_bench_peer for "
            + "the Python peer) and loads --products products with random unit vectors and Zipf popularity, plus "
            + "--history-per-customer past events per customer. Then, for each count in --processes, it measures the "
            + "queue's ceiling (count × --workers threads that only receive and delete, --ceiling-events) and that many "
            + "towerd processes (the binary beside this one, or --towerd) draining --events events, each on a fresh queue "
            + "that a producer keeps at most --backlog messages deep. Finally the Python peer "
            + "(../shared/bench/python-peer, in the venv .local/bench-venv that deploy/bench/peer-venv.sh creates) drains "
            + "--peer-events events.\n\n"
            + "Reports events/s, batch latency (receive → commit, from towerd's per-batch log lines) and CPU per event of "
            + "the consumer, its PostgreSQL backends and the queue server. Use a release build: swift build -c release.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Products in the catalog.") var products = 10_000
    @Option(help: "Customers sending events.") var customers = 2_000
    @Option(help: "Events each towerd configuration drains.") var events = 50_000
    @Option(help: "Seeded past events per customer (spread over 96 hours).") var historyPerCustomer = 10
    @Option(help: "Zipf exponent of product popularity.") var zipf = 1.0
    @Option(help: "Seed of the workload.") var seed: UInt64 = 7
    @Option(help: "Most messages the producer keeps in the queue (visible + in flight).") var backlog = 1_000
    @Option(help: "towerd process counts to measure, comma-separated.") var processes = "1,2"
    @Option(help: "TOWER_WORKERS of each towerd (default: towerd's default).") var workers: Int?
    @Option(help: "Events of each ceiling measurement.") var ceilingEvents = 20_000
    @Option(help: "Events the Python peer drains (0 skips it; it runs at about 120–230 events/s, so the default takes a few minutes).") var peerEvents = 20_000
    @Option(help: "The towerd binary (default: beside this tower binary).") var towerd: String?
    @Option(help: "User tower weights for towerd (default: TOWER_MODEL_PATH; the untrained default when absent).") var model: String?
    @Option(help: "The Python peer's folder.") var peerDirectory = "../shared/bench/python-peer"
    @Option(help: "The Python peer's venv (created by deploy/bench/peer-venv.sh when missing).") var peerVenv = ".local/bench-venv"
    @Option(help: "PID file of the local queue server, to report its CPU per event.") var queueServerPidFile = ".local/run/ministack.pid"
    @Option(help: "Write the towerd log lines of each run to PREFIX-<processes>.jsonl.") var daemonLog: String?
    @Flag(help: "Keep the scratch databases afterwards.") var keep = false

    func validate() throws {
        guard products >= 1, customers >= 1, events >= 1, ceilingEvents >= 1, peerEvents >= 0, backlog >= 10 else {
            throw ValidationError("counts must be positive and --backlog at least 10")
        }
        guard !processCounts.isEmpty, processCounts.allSatisfy({ (1...8).contains($0) }) else {
            throw ValidationError("--processes takes counts from 1 to 8, e.g. 1,2")
        }
    }

    private var processCounts: [Int] { processes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        try await runReportingErrors {
            print(BLASKernel.current)
            let source = try global.source()
            let settings = try TowerSettings(source)
            let sqs = try SQSConfiguration(source)
            let admin = try source.require("TOWER_ADMIN_DATABASE_URL",
                                           hint: "the benchmark creates scratch databases: set a superuser URL (deploy/local.sh up writes one)")
            let rw = try settings.requireDatabaseURL()
            let binary = try BenchScratch.towerdBinary(towerd)
            let workersPerProcess = try workers ?? source.int("TOWER_WORKERS", default: DaemonConfiguration.defaultWorkers)
            let workload = BenchWorkload(products: products, customers: customers, historyPerCustomer: historyPerCustomer,
                                         zipfExponent: zipf, seed: seed)
            let runID = "\(getpid())"
            let servers = BenchServers(adminURL: admin, queuePID: BenchScratch.pid(fromFile: queueServerPidFile))
            let towerURL = try BenchScratch.createDatabase("tower_bench", admin: admin, rw: rw)
            let peerURL = peerEvents > 0 ? try BenchScratch.createDatabase("tower_bench_peer", admin: admin, rw: rw) : nil
            defer {
                if !keep { for name in ["tower_bench", "tower_bench_peer"] { try? BenchScratch.dropDatabase(name, admin: admin) } }
            }
            note("loading \(products) products into tower_bench")
            let connection = try PQConnection(url: towerURL)
            try workload.loadCatalog(connection)

            var rows: [Row] = []
            do {
                for count in processCounts {
                    let receivers = count * workersPerProcess
                    rows.append(try measureCeiling(sqs: sqs, workload: workload, receivers: receivers, runID: runID, servers: servers))
                    try workload.resetHistory(connection)
                    var environment = source.values
                    for (k, v) in [
                        "TOWER_DATABASE_URL": towerURL, "TOWER_DLQ_URL": "", "TOWER_METRICS_ADDR": "off",
                        "TOWER_WORKERS": "\(workersPerProcess)", "TOWER_LOG_LEVEL": "info", "OPENBLAS_NUM_THREADS": "1",
                        "TOWER_MODEL_PATH": model ?? settings.modelPath, "PGAPPNAME": BenchServers.towerdApplication,
                    ] { environment[k] = v }
                    var row = try measureTowerd(sqs: sqs, workload: workload, processes: count, workers: workersPerProcess,
                                                binary: binary, environment: environment, runID: runID, servers: servers)
                    row.ceiling = rows.last?.eventsPerSecond
                    rows.append(row)
                }
                if let peerURL {
                    rows.append(try measurePeer(sqs: sqs, source: source, workload: workload, databaseURL: peerURL, runID: runID, servers: servers))
                }
            } catch {
                // Keep what was measured: a late failure (the peer, a server restart) should not lose the rest.
                if !rows.isEmpty {
                    print(report(rows, workload: workload, binary: binary, workers: workersPerProcess, modelPath: model ?? settings.modelPath))
                    print("\nincomplete: the benchmark stopped early")
                }
                throw error
            }
            print(report(rows, workload: workload, binary: binary, workers: workersPerProcess, modelPath: model ?? settings.modelPath))
        }
    }

    // MARK: measurements

    struct Row {
        var name: String
        var events: Int
        var eventsPerSecond: Double
        var ceiling: Double?
        var p50: Double?
        var p99: Double?
        var latencyUnit = "batch"
        var meanBatch: Double?
        var cpuMsPerEvent: Double?
        /// CPU of the PostgreSQL backends serving the consumer, and of the queue server, per event.
        var databaseCPUMsPerEvent: Double?
        var queueCPUMsPerEvent: Double?
        var producerStarved = 0
    }

    private func measureCeiling(sqs: SQSConfiguration, workload: BenchWorkload, receivers: Int, runID: String, servers: BenchServers) throws -> Row {
        note("queue ceiling with \(receivers) receive+delete threads, \(ceilingEvents) events")
        return try BenchScratch.withQueue("tower-bench-ceiling-\(receivers)-\(runID)", sqs: sqs) { queue in
            let ceiling = BenchCeiling()
            let producer = try BenchProducer(configuration: sqs, queueURL: queue, stream: workload.events(seed: seed &+ 1),
                                             total: ceilingEvents, backlog: backlog, progress: .consumed { ceiling.consumed })
            try producer.start()
            let queueBefore = servers.queueCPU()
            let result = try ceiling.run(configuration: sqs, queueURL: queue, receivers: receivers, total: ceilingEvents)
            let queueCPU = servers.queueCPU().map { $0 - (queueBefore ?? 0) }
            try producer.finish()
            return Row(name: "queue ceiling (\(receivers) receivers)", events: result.count,
                       eventsPerSecond: Double(result.count) / max(result.seconds, 1e-9),
                       queueCPUMsPerEvent: queueCPU.map { $0 * 1000 / Double(max(result.count, 1)) }, producerStarved: producer.emptyObservations)
        }
    }

    private func measureTowerd(sqs: SQSConfiguration, workload: BenchWorkload, processes count: Int, workers: Int, binary: URL,
                               environment: [String: String], runID: String, servers: BenchServers) throws -> Row {
        note("towerd × \(count) (\(workers) workers each), \(events) events")
        return try BenchScratch.withQueue("tower-bench-towerd-\(count)-\(runID)", sqs: sqs) { queue in
            var env = environment
            env["TOWER_QUEUE_URL"] = queue
            let daemons = try BenchDaemons(binary: binary, count: count, environment: env, logPath: daemonLog.map { "\($0)-\(count).jsonl" })
            let cpuBefore = daemons.cpuSeconds, queueBefore = servers.queueCPU()
            let databaseBefore = try servers.databaseCPU(application: BenchServers.towerdApplication)
            let producer = try BenchProducer(configuration: sqs, queueURL: queue, stream: workload.events(seed: seed &+ 2),
                                             total: events, backlog: backlog, progress: .consumed { daemons.consumed })
            try producer.start()
            try daemons.waitUntilConsumed(events, timeout: Double(events) / 20 + 120)
            let cpu = daemons.cpuSeconds - cpuBefore, queueCPU = servers.queueCPU().map { $0 - (queueBefore ?? 0) }
            let databaseCPU = BenchCPU.used(before: databaseBefore, after: try servers.databaseCPU(application: BenchServers.towerdApplication))
            try producer.finish()
            try daemons.stop()
            let batches = daemons.batchLog
            let first = batches.map(\.receivedAt).min() ?? 0, last = batches.map(\.loggedAt).max() ?? 0
            let consumed = batches.reduce(0) { $0 + $1.messages }
            let durations = batches.map(\.durationMs)
            return Row(name: "towerd × \(count) (\(workers) workers each)", events: consumed,
                       eventsPerSecond: Double(consumed) / max(last - first, 1e-9),
                       p50: BenchStats.percentile(durations, 50), p99: BenchStats.percentile(durations, 99),
                       meanBatch: Double(consumed) / Double(max(batches.count, 1)), cpuMsPerEvent: cpu * 1000 / Double(max(consumed, 1)),
                       databaseCPUMsPerEvent: databaseCPU * 1000 / Double(max(consumed, 1)),
                       queueCPUMsPerEvent: queueCPU.map { $0 * 1000 / Double(max(consumed, 1)) }, producerStarved: producer.emptyObservations)
        }
    }

    private func measurePeer(sqs: SQSConfiguration, source: ConfigSource, workload: BenchWorkload, databaseURL: String, runID: String,
                             servers: BenchServers) throws -> Row {
        let venv = URL(fileURLWithPath: peerVenv)
        let python = venv.appendingPathComponent("bin/python")
        guard try runQuietly("deploy/bench/peer-venv.sh", [venv.path]) else {
            throw BenchError.setup("the Python peer's venv \(venv.path) is not usable: run deploy/bench/peer-venv.sh \(venv.path) (needs network access to PyPI)")
        }
        guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: peerDirectory).appendingPathComponent("peer_consumer.py").path) else {
            throw BenchError.setup("no peer_consumer.py in \(peerDirectory): pass --peer-directory")
        }
        note("Python peer: setting up tower_bench_peer, then \(peerEvents) events")
        var environment = source.values
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["PGAPPNAME"] = BenchServers.peerApplication
        let peer = BenchPeer(directory: URL(fileURLWithPath: peerDirectory), python: python, environment: environment)
        let queue = try peer.setUp(databaseURL: databaseURL, workload: workload, queueName: "tower-bench-peer-\(runID)",
                                   endpoint: sqs.endpoint)
        defer { try? SQSClient(configuration: sqs).deleteQueue(queueURL: queue) }
        let stats = FileManager.default.temporaryDirectory.appendingPathComponent("tower-bench-peer-\(runID).json").path
        defer { try? FileManager.default.removeItem(atPath: stats) }
        let producer = try BenchProducer(configuration: sqs, queueURL: queue, stream: workload.events(seed: seed &+ 3),
                                         total: peerEvents, backlog: backlog, pollInterval: 0.25, progress: .queueDepth)
        try producer.start()
        let queueBefore = servers.queueCPU()
        let consumer = try peer.startConsumer(databaseURL: databaseURL, queueURL: queue, statsFile: stats)
        // The peer's backend starts and ends with the peer: sample its CPU until the peer exits.
        var databaseCPU: [Int32: Double] = [:]
        while consumer.isRunning {
            databaseCPU.merge(try servers.databaseCPU(application: BenchServers.peerApplication)) { max($0, $1) }
            Thread.sleep(forTimeInterval: 0.25)
        }
        try producer.finish()
        let queueCPU = servers.queueCPU().map { $0 - (queueBefore ?? 0) }
        guard consumer.terminationStatus == 0 else { throw BenchError.peer("peer_consumer.py exited with \(consumer.terminationStatus)") }
        let s = try BenchPeer.summary(statsFile: stats)
        func number(_ key: String) -> Double? { (s[key] as? NSNumber)?.doubleValue }
        let processed = Int(number("processed") ?? 0)
        return Row(name: "Python peer (1 process)", events: processed, eventsPerSecond: number("events_per_second") ?? 0,
                   p50: number("latency_ms_p50"), p99: number("latency_ms_p99"), latencyUnit: "message", meanBatch: nil,
                   cpuMsPerEvent: number("consumer_cpu_ms_per_event"),
                   databaseCPUMsPerEvent: databaseCPU.values.reduce(0, +) * 1000 / Double(max(processed, 1)),
                   queueCPUMsPerEvent: queueCPU.map { $0 * 1000 / Double(max(processed, 1)) }, producerStarved: producer.emptyObservations)
    }

    // MARK: report

    private func report(_ rows: [Row], workload: BenchWorkload, binary: URL, workers: Int, modelPath: String) -> String {
        func f(_ v: Double?, _ digits: Int = 1) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "—" }
        var lines = [
            "tower bench daemon: \(workload.products) products, \(workload.customers) customers, \(workload.historyPerCustomer) past events each, "
                + "Zipf s=\(workload.zipfExponent), backlog ≤ \(backlog), \(ProcessInfo.processInfo.activeProcessorCount) cores",
            "towerd: \(binary.path) (\(binary.path.contains("/release/") ? "release" : "debug?") build), model "
                + "\(FileManager.default.fileExists(atPath: modelPath) ? modelPath : "untrained default (no \(modelPath))")",
            "",
            "| consumer | events | events/s | % of ceiling | latency p50 ms | latency p99 ms | per | mean batch | consumer CPU ms/event | PostgreSQL CPU ms/event | queue server CPU ms/event |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
        ]
        for r in rows {
            lines.append("| \(r.name) | \(r.events) | \(f(r.eventsPerSecond, 0)) | \(r.ceiling.map { f(100 * r.eventsPerSecond / $0, 0) + "%" } ?? "—") | "
                + "\(f(r.p50, 2)) | \(f(r.p99, 2)) | \(r.p50 == nil ? "—" : r.latencyUnit) | \(f(r.meanBatch)) | \(f(r.cpuMsPerEvent, 3)) | "
                + "\(f(r.databaseCPUMsPerEvent, 3)) | \(f(r.queueCPUMsPerEvent, 3)) |")
        }
        let starved = rows.filter { $0.producerStarved > 2 }
        if !starved.isEmpty {
            lines.append("")
            lines.append("note: the producer found the queue empty during \(starved.map(\.name).joined(separator: ", ")): the producer, not the consumer, limited those rates")
        }
        if let one = rows.first(where: { $0.name.hasPrefix("towerd × 1 ") }) {
            lines.append("")
            if let ceiling = one.ceiling {
                lines.append("target ≥ 80% of the ceiling with one process: \(f(100 * one.eventsPerSecond / ceiling, 0))% \(one.eventsPerSecond >= 0.8 * ceiling ? "met" : "NOT met")")
            }
            if let p99 = one.p99 { lines.append("target p99 < 20 ms per batch: \(f(p99, 2)) ms \(p99 < 20 ? "met" : "NOT met")") }
            if let peer = rows.first(where: { $0.name.hasPrefix("Python peer") }), peer.eventsPerSecond > 0 {
                let ratio = one.eventsPerSecond / peer.eventsPerSecond
                lines.append("target ≥ 10× the Python peer: \(f(ratio))× \(ratio >= 10 ? "met" : "NOT met")")
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: helpers

    private func note(_ text: String) { printError("bench: \(text)") }

    private func runQuietly(_ executable: String, _ arguments: [String]) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}

/// The servers' side of the CPU accounting: the queue server's process and the PostgreSQL backends of
/// one application name (towerd and the peer set PGAPPNAME), read from /proc on this machine.
struct BenchServers {
    static let towerdApplication = "towerd-bench"
    static let peerApplication = "tower-bench-peer"
    let adminURL: String
    let queuePID: Int32?

    func queueCPU() -> Double? { queuePID.map { BenchCPU.seconds(pid: $0) } }

    func databaseCPU(application: String) throws -> [Int32: Double] {
        let c = try PQConnection(url: adminURL)
        let pids: [Int32] = try c.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [application]).rows.map { try $0.decode(0) }
        return BenchCPU.snapshot(pids)
    }
}
