import Foundation
import LibPQ
import Logging
import TowerConfig
import TowerMath
import TowerModel
import TowerQueue
import TowerStore

/// A reason the daemon cannot start, with what to do about it.
public enum DaemonError: Error, CustomStringConvertible {
    case system(String, Int32)
    case model(path: String, underlying: any Error)

    public var description: String {
        switch self {
        case .system(let call, let code):
            return "\(call) failed: \(String(cString: strerror(code)))"
        case .model(let path, let underlying):
            return "cannot load the user tower from \(path): \(underlying) — fix or remove the file (without it the untrained default runs)"
        }
    }
}

/// `towerd`: N worker threads (TOWER_WORKERS), each with its own queue client and PostgreSQL connection,
/// plus a sweeper thread, a visibility keeper (`VisibilityKeeper`), a metrics and health endpoint and a main
/// loop that handles signals, the systemd watchdog and status (`Watchdog`).
///
/// Signals: SIGTERM/SIGINT stop receiving (a long poll in flight is cut short), let each worker finish the
/// batch in hand, and return 0; SIGHUP reloads the model file. Several daemons may share a queue and a
/// database: per-customer locks serialise their batches.
public final class Daemon {
    /// How long shutdown waits for workers to finish their batches.
    public static let stopTimeoutSeconds = 25.0

    private let configuration: DaemonConfiguration
    private let metricsAddress: String?
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let metrics = DaemonMetrics()
    private let stop = StopSignal()

    public init(configuration: DaemonConfiguration, metricsAddress: String?, logger: Logger,
                notifier: SystemdNotifier = SystemdNotifier()) {
        self.configuration = configuration
        self.metricsAddress = metricsAddress
        self.logger = logger
        self.notifier = notifier
    }

    /// Runs until SIGTERM/SIGINT; returns the exit status. Throws when the daemon cannot start
    /// (model file unreadable, database schema not current, queue or metrics port unusable).
    public func run() throws -> Int32 {
        BLAS.setThreads(1)
        let signals = try SignalPipe(signals: [SIGTERM, SIGINT, SIGHUP])
        let preflight = Preflight(configuration: configuration)
        let model = try preflight.model()
        logModel(model, event: "model loaded", previous: nil)
        let database = try preflight.database(retry: LibPQ.RetryPolicy(maxAttempts: 6, baseDelay: 0.5, maxDelay: 5))
        logger.info("\(database)")
        configuration.sqs.credentials.observer = { [logger] event in
            switch event {
            case .refreshed(let provider, let expiration):
                logger.info("credentials refreshed", metadata: [
                    "provider": "\(provider)", "expires": "\(expiration.map { $0.formatted(.iso8601) } ?? "never")",
                ])
            case .failed(let provider, let error, let retryIn, let expired):
                logger.error(expired ? "credentials expired and cannot be refreshed" : "credentials refresh failed; the current ones stay in use until they expire", metadata: [
                    "provider": "\(provider)", "error": "\(error)", "retry_in_ms": .stringConvertible(Int(retryIn * 1000)),
                ])
            }
        }
        let queues = try preflight.queues()
        for line in queues.lines { queues.rejectedMessagesHandled ? logger.info("\(line)") : logger.warning("\(line)") }

        let heartbeats = Heartbeats(workers: configuration.workers)
        let health = DatabaseHealth(metrics: metrics, logger: logger, reportInterval: configuration.databaseDownLogIntervalSeconds)
        let keeper = try VisibilityKeeper(configuration: configuration, metrics: metrics, stop: stop, logger: logger)
        let watchdog = Watchdog(configuration: configuration, heartbeats: heartbeats, health: health, keeper: keeper, logger: logger)
        var server: MetricsHTTPServer?
        if let metricsAddress {
            let s = try MetricsHTTPServer(registry: metrics.registry, address: metricsAddress, health: { watchdog.report })
            try s.start()
            server = s
        }
        let workers = try (0..<configuration.workers).map {
            try Worker(index: $0, configuration: configuration, model: model, metrics: metrics, stop: stop,
                       heartbeats: heartbeats, health: health, keeper: keeper, logger: logger)
        }
        let running = DispatchGroup()
        for worker in workers { spawn("towerd-worker-\(worker.index)", in: running) { worker.run() } }
        spawn("towerd-visibility", in: running) { keeper.run() }
        let sweeper = Sweeper(configuration: configuration, stop: stop, logger: logger)
        spawn("towerd-sweeper", in: running) { sweeper.run() }

        logger.info("started", metadata: [
            "workers": .stringConvertible(configuration.workers), "queue": "\(configuration.queueURL)",
            "aws_provider": "\(preflight.credentials())",
            "dead_letter_queue": "\(configuration.deadLetterQueueURL ?? "none")",
            "metrics": "\(server.map { "http://\($0.host):\($0.port)/metrics" } ?? "off")",
            "window_s": .stringConvertible(Int(configuration.settings.windowSeconds)),
            "event_types": "\(configuration.settings.eventTypes.names.joined(separator: ","))",
        ])
        var status = watchdog.check().status
        notifier.ready(status: status)

        // Main loop: signals; the watchdog keep-alive and the status line as `Watchdog` decides.
        let tick = min(1, notifier.watchdogInterval ?? 1)
        while !stop.isStopping {
            switch signals.next(timeout: tick) {
            case SIGTERM, SIGINT:
                logger.info("stopping: finishing the batches in hand")
                notifier.stopping()
                stop.requestStop()
                for worker in workers { worker.receiver.interrupt() }
            case SIGHUP:
                reload(model)
            default:
                health.tick()
                let condition = watchdog.check()
                if condition.pinging { notifier.watchdog() }
                if condition.status != status {
                    status = condition.status
                    notifier.status(status)
                }
            }
        }
        if running.wait(timeout: .now() + Self.stopTimeoutSeconds) == .timedOut {
            logger.error("workers did not finish within \(Int(Self.stopTimeoutSeconds)) s; exiting anyway (their batches are redelivered)")
        }
        server?.stop()
        let totals = metrics.totals
        logger.info("stopped", metadata: [
            "applied": .stringConvertible(totals.applied), "duplicates": .stringConvertible(totals.duplicates),
            "rejected": .stringConvertible(totals.rejected),
        ])
        return 0
    }

    private func spawn(_ name: String, in group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.name = name
        thread.start()
    }

    private func reload(_ model: ModelHolder) {
        notifier.reloading()
        let previous = model.current.version
        do {
            try model.reload()
            logModel(model, event: "model reloaded", previous: previous)
        } catch {
            logger.error("model reload failed; the previous model keeps running", metadata: [
                "path": "\(model.path)", "error": "\(error)", "version": "\(previous)",
            ])
        }
        notifier.ready()
    }

    private func logModel(_ model: ModelHolder, event: String, previous: String?) {
        let version = model.current.version
        metrics.modelLoaded(version: version, previous: previous)
        logger.info("\(event)", metadata: ["version": "\(version)", "source": "\(model.currentOrigin)"])
    }
}
