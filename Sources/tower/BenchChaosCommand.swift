import ArgumentParser
import Foundation
import LibPQ
import TowerConfig
import TowerMath
import TowerQueue
import TowerWorker

/// `tower bench chaos`: a towerd fleet under faults, then proof that no healthy event was lost, doubled or
/// dead-lettered, that every bad message is in the DLQ with its reason, that the stored vectors are what a
/// recompute gives, and that no log line quotes a secret.
struct BenchChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos", abstract: "Run a towerd fleet through faults and check every event's fate.",
        discussion: "Against the local servers of deploy/local.sh (TOWER_LOCAL_SCRIPT of .local/tower.env; export "
            + "TOWER_LOCAL_PG_PORT/TOWER_LOCAL_SQS_PORT as for local.sh): creates the scratch database --database "
            + "(TOWER_ADMIN_DATABASE_URL) with --products products, a queue with a DLQ and a redrive policy "
            + "(maxReceiveCount 10, as local.sh provisions), and starts --daemons towerd processes on that one queue. "
            + "A producer sends --events valid events with --bad adversarial messages mixed in (bad JSON, unknown "
            + "product, wrong types, huge bodies, lone surrogates, unknown event names, ids out of range, bad "
            + "occurred_at, bad event_id, deep nesting); every 25th valid event carries an event_id and is sent twice, as a "
            + "producer's retry. Meanwhile, at seeded moments of the stream: --kills kill -9 of a random "
            + "daemon (restarted at once), --postgres-restarts PostgreSQL restarts and one --database-outage of "
            + "PostgreSQL (deploy/local.sh stop-postgres/start-postgres), and one --queue-outage of the queue server "
            + "(SIGSTOP/SIGCONT: ministack keeps its state in memory only, a restart would lose every message).\n\n"
            + "Once the queue is empty it stops the daemons and prints the figures: valid events applied exactly once "
            + "(lost, twice, dead-lettered, wrong content), bad messages in the DLQ with the expected reason per kind, "
            + "stored user vectors against a recompute from the history with the same model (max |difference| within "
            + "--tolerance), and daemon log lines that quote a secret (lines that are not JSON are counted and shown). "
            + "Exits 1 when any figure is off. The defaults are the full setting (6 to 11 minutes with a debug towerd on a "
            + "busy 2-core machine); scale it down with the options. See docs/operations.md.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Valid events sent.") var events = 50_000
    @Option(help: "Adversarial messages mixed in.") var bad = 1_000
    @Option(help: "kill -9 of a random daemon (each restarted at once).") var kills = 20
    @Option(help: "PostgreSQL restarts (stop, start at once).") var postgresRestarts = 3
    @Option(help: "Seconds of the one PostgreSQL outage (0: none).") var databaseOutage = 60.0
    @Option(help: "Seconds of the one queue-server outage (0: none).") var queueOutage = 30.0
    @Option(help: "towerd processes on the one queue.") var daemons = 2
    @Option(help: "TOWER_WORKERS of each towerd (default: towerd's default).") var workers: Int?
    @Option(help: "TOWER_VISIBILITY_TIMEOUT of the daemons, in seconds (a killed daemon's batches reappear after it).") var visibilityTimeout = 30
    @Option(help: "Products in the catalog.") var products = 2_000
    @Option(help: "Customers sending events.") var customers = 2_000
    @Option(help: "Zipf exponent of product popularity.") var zipf = 1.0
    @Option(help: "Seed of the messages and of the faults' moments.") var seed: UInt64 = 7
    @Option(help: "Most messages the producer keeps in the queue.") var backlog = 1_000
    @Option(help: "Largest accepted |stored − recomputed| per vector component.") var tolerance: Float = 1e-5
    @Option(help: "Seconds the whole run may take; past them it stops and reports what it found.") var timeLimit = 900.0
    @Option(help: "Scratch database (dropped and created).") var database = "tower_chaos"
    @Option(help: "The towerd binary (default: beside this tower binary).") var towerd: String?
    @Option(help: "User tower weights (default: TOWER_MODEL_PATH; the untrained default when absent).") var model: String?
    @Option(help: "deploy/local.sh of the servers (default: TOWER_LOCAL_SCRIPT).") var localScript: String?
    @Option(help: "PID file of the queue server (default: .local/run/ministack.pid beside the local script's package).") var queueServerPidFile: String?
    @Option(help: "Write the daemons' log lines here (default: a file in the temporary directory, kept).") var daemonLog: String?
    @Flag(help: "Keep the scratch database and queues afterwards.") var keep = false
    @Flag(help: "Also print the figures as one JSON object (the last line).") var json = false

    /// The queue's redrive policy, as local.sh provisions it.
    static let maxReceiveCount = 10
    /// TOWER_PRODUCT_RETRY_RECEIVES / _DELAY of the daemons: an unknown product is dead-lettered at its third
    /// receive, after 2 + 4 s, instead of the production defaults' half hour.
    static let productRetry = (receives: 3, delay: "2s")

    func validate() throws {
        guard events >= 1, bad >= 0, kills >= 0, postgresRestarts >= 0, databaseOutage >= 0, queueOutage >= 0, backlog >= 10,
              products >= 1, customers >= 1, timeLimit > 0, tolerance >= 0 else {
            throw ValidationError("counts and durations must not be negative, --events at least 1 and --backlog at least 10")
        }
        guard (1...8).contains(daemons) else { throw ValidationError("--daemons takes 1 to 8") }
        guard (10...600).contains(visibilityTimeout) else { throw ValidationError("--visibility-timeout takes 10 to 600 seconds") }
        guard !database.isEmpty, database.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }) else {
            throw ValidationError("--database takes lower-case letters, digits and _")
        }
    }

    func run() async throws {
        try await runReportingErrors { try runChaos() }
    }

    /// The run, on the calling thread (it sleeps between checks).
    private func runChaos() throws {
        print(BLASKernel.current)
        let started = Date()
        let deadline = started.addingTimeInterval(timeLimit)
        let source = try global.source()
        let settings = try TowerSettings(source)
        let sqs = try SQSConfiguration(source)
        let admin = try source.require("TOWER_ADMIN_DATABASE_URL", hint: "the run creates a scratch database: set a superuser URL (deploy/local.sh up writes one)")
        let rw = try settings.requireDatabaseURL()
        let binary = try BenchScratch.towerdBinary(towerd)
        let script = try localScript ?? source.require("TOWER_LOCAL_SCRIPT", hint: "the run restarts PostgreSQL with deploy/local.sh: pass --local-script")
        let pidFile = queueServerPidFile ?? URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".local/run/ministack.pid").path
        guard let queuePID = BenchScratch.pid(fromFile: pidFile), kill(queuePID, 0) == 0 else {
            throw BenchError.setup("no running queue server in \(pidFile): start it (deploy/local.sh up) or pass --queue-server-pid-file")
        }
        // Absolute: the daemons run in the temporary directory.
        let modelPath = URL(fileURLWithPath: model ?? settings.modelPath).standardizedFileURL.path
        let workersPerDaemon = try workers ?? source.int("TOWER_WORKERS", default: DaemonConfiguration.defaultWorkers)
        let workload = BenchWorkload(products: products, customers: customers, historyPerCustomer: 0, zipfExponent: zipf, seed: seed)

        let url = try BenchScratch.createDatabase(database, admin: admin, rw: rw)
        defer { if !keep { try? BenchScratch.dropDatabase(database, admin: admin) } }
        note("loading \(products) products into \(database)")
        try workload.loadCatalog(PQConnection(url: url))

        let client = try SQSClient(configuration: sqs)
        let name = "tower-chaos-\(getpid())"
        let dlq = try client.createQueue(name: "\(name)-dlq", attributes: ["MessageRetentionPeriod": "1209600"])
        defer { if !keep { try? client.deleteQueue(queueURL: dlq) } }
        let arn = try client.getQueueAttributes(queueURL: dlq, names: ["QueueArn"])["QueueArn"] ?? ""
        let queue = try client.createQueue(name: name, attributes: [
            "VisibilityTimeout": "\(visibilityTimeout)",
            "RedrivePolicy": #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(Self.maxReceiveCount)"}"#,
        ])
        defer { if !keep { try? client.deleteQueue(queueURL: queue) } }

        var environment = source.values
        for (k, v) in [
            "TOWER_DATABASE_URL": url, "TOWER_QUEUE_URL": queue, "TOWER_DLQ_URL": dlq, "TOWER_METRICS_ADDR": "off",
            "TOWER_WORKERS": "\(workersPerDaemon)", "TOWER_LOG_LEVEL": "info", "OPENBLAS_NUM_THREADS": "1",
            "TOWER_MODEL_PATH": modelPath, "PGAPPNAME": "towerd-chaos", "TOWER_VISIBILITY_TIMEOUT": "\(visibilityTimeout)s",
            "TOWER_RECEIVE_WAIT": "5s", "TOWER_PRODUCT_RETRY_RECEIVES": "\(Self.productRetry.receives)",
            "TOWER_PRODUCT_RETRY_DELAY": Self.productRetry.delay,
        ] { environment[k] = v }
        let logPath = daemonLog ?? FileManager.default.temporaryDirectory.appendingPathComponent("\(name).jsonl").path
        note("starting \(daemons) towerd on \(queue); their log: \(logPath)")
        let fleet = try BenchDaemons(binary: binary, count: daemons, environment: environment, logPath: logPath)

        let messages = ChaosMessages(workload: workload, valid: events, bad: bad, seed: seed &+ 5)
        let total = ChaosMessages.total(valid: events, bad: bad)
        let producer = try BenchProducer(configuration: sqs, queueURL: queue, stream: messages, total: total,
                                         backlog: min(backlog, max(10, total / 10)), progress: .consumed { fleet.consumed })
        var figures = ChaosFigures()
        figures.faults.daemons = daemons
        try producer.start()
        try inject(ChaosInjector(localScript: script, queueServerPID: queuePID, daemons: fleet, producer: producer),
                   total: total, producer: producer, deadline: deadline, into: &figures)
        while producer.sentCount < total, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        producer.pause()
        if producer.sentCount == total { try producer.finish() }
        note("all \(producer.sentCount) messages sent; waiting for the queue to drain")
        figures.drained = try waitUntilDrained(client, queue: queue, deadline: deadline)
        do {
            try fleet.stop()
            figures.daemonsStoppedCleanly = true
        } catch {
            note("\(error)")
        }

        note("auditing")
        let audit = ChaosAudit(connection: try PQConnection(url: url), sqs: sqs, deadLetterQueueURL: dlq)
        try audit.messages(produced: messages.produced, messageIDs: producer.sentMessageIDs, into: &figures)
        try audit.vectors(model: ModelHolder(path: modelPath, eventTypes: settings.eventTypes), window: settings.windowSeconds,
                          tolerance: tolerance, into: &figures)
        try ChaosAudit.logs(at: logPath, source: source, into: &figures)
        figures.wallSeconds = Date().timeIntervalSince(started)
        print(report(figures, binary: binary, modelPath: modelPath, workers: workersPerDaemon))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
        }
        guard figures.passed else { throw BenchError.chaos("see the figures above; the daemons' log is \(logPath)") }
    }

    /// Injects the scheduled faults as the stream reaches their moments.
    private func inject(_ injector: ChaosInjector, total: Int, producer: BenchProducer, deadline: Date, into figures: inout ChaosFigures) throws {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        let schedule = ChaosFault.schedule(kills: kills, postgresRestarts: postgresRestarts, databaseOutage: databaseOutage,
                                           queueOutage: queueOutage, seed: seed)
        for (at, fault) in schedule {
            while Double(producer.sentCount) < at * Double(total), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            guard Date() < deadline else {
                note("time limit reached before every fault was injected")
                return
            }
            note("\(Int(at * 100))% sent: \(fault)")
            try injector.inject(fault, rng: &rng)
            switch fault {
            case .kill: figures.faults.kills += 1
            case .postgresRestart: figures.faults.postgresRestarts += 1
            case .databaseOutage(let s): figures.faults.databaseOutageSeconds += s
            case .queueOutage(let s): figures.faults.queueOutageSeconds += s
            }
        }
    }

    /// True once the queue holds nothing (visible, in flight or delayed) at three checks in a row, a second apart.
    private func waitUntilDrained(_ client: SQSClient, queue: String, deadline: Date) throws -> Bool {
        var quiet = 0
        while Date() < deadline {
            let a = try client.getQueueAttributes(queueURL: queue, names: [
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
            ])
            let waiting = a.values.reduce(0) { $0 + (Int($1) ?? 1) }
            quiet = waiting == 0 ? quiet + 1 : 0
            if quiet == 3 { return true }
            Thread.sleep(forTimeInterval: 1)
        }
        return false
    }

    // MARK: report

    private func report(_ f: ChaosFigures, binary: URL, modelPath: String, workers: Int) -> String {
        func mark(_ ok: Bool) -> String { ok ? "ok" : "FAILED" }
        var lines = [
            "tower bench chaos: \(f.valid.sent) valid events + \(f.bad.sent) adversarial messages; \(f.faults.daemons) towerd × \(workers) workers on one queue; "
                + "\(f.faults.kills) kill -9, \(f.faults.postgresRestarts) PostgreSQL restarts, \(Int(f.faults.databaseOutageSeconds)) s database outage, "
                + "\(Int(f.faults.queueOutageSeconds)) s queue-server outage; \(products) products, \(customers) customers",
            "towerd: \(binary.path) (\(binary.path.contains("/release/") ? "release" : "debug?") build), model "
                + "\(FileManager.default.fileExists(atPath: modelPath) ? modelPath : "untrained default (no \(modelPath))")",
            String(format: "wall time: %.0f s (limit %.0f s); queue drained: %@; daemons stopped cleanly on SIGTERM: %@",
                   f.wallSeconds, timeLimit, f.drained ? "yes" : "NO", f.daemonsStoppedCleanly ? "yes" : "NO"),
            "",
            "valid events: \(f.valid.sent) sent (\(f.valid.producerRetries) of them twice, with one event_id), \(f.valid.appliedOnce) applied exactly once, \(f.valid.lost) lost, \(f.valid.appliedTwice) applied twice, "
                + "\(f.valid.wrongContent) with wrong content, \(f.valid.deadLettered) dead-lettered — "
                + mark(f.valid.appliedOnce == f.valid.sent && f.valid.lost + f.valid.appliedTwice + f.valid.wrongContent + f.valid.deadLettered == 0),
            "adversarial messages: \(f.bad.sent) sent, \(f.bad.inDeadLetterQueue) in the DLQ, \(f.bad.expectedReason) with the expected reason, "
                + "\(f.bad.applied) applied — " + mark(f.bad.expectedReason == f.bad.sent && f.bad.inDeadLetterQueue == f.bad.sent && f.bad.applied == 0),
            "",
            "| kind | sent | expected reason | reasons in the DLQ |",
            "| --- | ---: | ---: | --- |",
        ]
        for k in f.bad.kinds {
            lines.append("| \(k.kind) | \(k.sent) | \(k.expectedReason) | \(k.reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) |")
        }
        let v = f.vectors
        lines += [
            "",
            "dead-letter queue: \(f.deadLetters.messages) messages, \(f.deadLetters.extraCopies) extra copies of one message, "
                + "\(f.deadLetters.withoutReason) without TowerRejectReason, \(f.deadLetters.unknownSource) of unknown source — "
                + mark(f.deadLetters.withoutReason + f.deadLetters.unknownSource == 0),
            "user vectors: \(v.customers) customers with events, \(v.compared) compared with a recompute, \(v.missing) missing, \(v.unexpected) unexpected, "
                + "\(v.exactlyEqual) bit-identical, max |Δ| \(v.maxAbsDifference) (tolerance \(v.tolerance)), \(v.overTolerance) over, "
                + "\(v.wrongModelVersion) of another model version; interactions ≠ event log: \(v.interactionsNotMatchingEvents) — "
                + mark(v.compared == v.customers && v.missing + v.unexpected + v.overTolerance + v.wrongModelVersion + v.interactionsNotMatchingEvents == 0),
            "daemon log: \(f.logs.lines) lines, \(f.logs.notJSON) not JSON, \(f.logs.withSecret) quoting one of \(f.logs.secretsChecked) secrets, "
                + "\(f.logs.warningLines) warnings, \(f.logs.errorLines) errors; \(f.logs.starts) daemon starts, "
                + "\(f.logs.duplicatesSkipped) redeliveries skipped as already applied — " + mark(f.logs.withSecret == 0),
        ]
        lines += f.logs.notJSONSamples.map { "note: a daemon wrote a line that is not JSON (not counted as a failure): \($0)" }
        lines += [
            "",
            "result: \(f.passed ? "PASSED" : "FAILED")",
        ]
        return lines.joined(separator: "\n")
    }

    private func note(_ text: String) { printError("chaos: \(text)") }
}
