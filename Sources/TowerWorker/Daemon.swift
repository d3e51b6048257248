import Foundation
import LibPQ
import Logging
import ServiceLifecycle
import TowerMath
import TowerQueue
import TowerRuntime
import TowerStore
import UnixSignals

/// A reason the daemon cannot start, with what to do about it.
public enum DaemonError: Error, CustomStringConvertible {
    case model(path: String, underlying: any Error)

    public var description: String {
        switch self {
        case .model(let path, let underlying):
            return "cannot load the user tower from \(path): \(underlying) — fix or remove the file (without it the untrained default runs)"
        }
    }
}

/// `towerd`: N worker threads (TOWER_WORKERS), each with its own queue client and PostgreSQL connection,
/// plus a sweeper thread and a visibility keeper (`VisibilityKeeper`), run by a `ServiceGroup` beside the metrics and
/// health endpoint (`MetricsServer`); `DaemonLoop` handles SIGHUP, the systemd watchdog and status (`Watchdog`).
///
/// Signals: SIGTERM/SIGINT stop receiving (a long poll in flight is cut short), let each worker finish the
/// batch in hand, and return; SIGHUP reloads the model file. Several daemons may share a queue and a
/// database: per-customer locks serialise their batches.
public struct Daemon: Sendable {
    /// How long shutdown waits for workers to finish their batches.
    public static let stopTimeoutSeconds = 25.0

    private let configuration: DaemonConfiguration
    private let metricsAddress: ListenAddress?
    private let logger: Logger
    private let notifier: SystemdNotifier

    public init(configuration: DaemonConfiguration, metricsAddress: ListenAddress?, logger: Logger,
                notifier: SystemdNotifier = SystemdNotifier()) {
        self.configuration = configuration
        self.metricsAddress = metricsAddress
        self.logger = logger
        self.notifier = notifier
    }

    /// Runs until SIGTERM/SIGINT. Throws when the daemon cannot start (model file unreadable, database schema not
    /// current, queue or metrics port unusable).
    public func run() async throws {
        BLAS.setThreads(1)
        signal(SIGPIPE, SIG_IGN)
        let metrics = DaemonMetrics()
        let loop = try await onNewThread("towerd-start") { [self] in try prepare(metrics: metrics) }
        let server = metricsAddress.map {
            MetricsServer(address: $0, metrics: metrics.prometheus, health: { loop.watchdog.report }, logger: logger)
        }
        // Shutdown runs in reverse order: the loop drains the workers first, the endpoint stays up meanwhile.
        let services: [any Service] = (server.map { [$0] } ?? []) + [loop.listening(on: server)]
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Startup checks and the workers (blocking: database and queue connections).
    private func prepare(metrics: DaemonMetrics) throws -> DaemonLoop {
        let preflight = Preflight(configuration: configuration)
        let model = try preflight.model()
        DaemonLoop.logModel(model, event: "model loaded", previous: nil, metrics: metrics, logger: logger)
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

        let stop = StopSignal()
        let heartbeats = Heartbeats(workers: configuration.workers)
        let health = DatabaseHealth(metrics: metrics, logger: logger, reportInterval: configuration.databaseDownLogIntervalSeconds)
        let keeper = try VisibilityKeeper(configuration: configuration, metrics: metrics, stop: stop, logger: logger)
        let workers = try (0..<configuration.workers).map {
            try Worker(index: $0, configuration: configuration, model: model, metrics: metrics, stop: stop,
                       heartbeats: heartbeats, health: health, keeper: keeper, logger: logger)
        }
        return DaemonLoop(
            configuration: configuration, model: model, metrics: metrics, stop: stop, health: health, keeper: keeper, workers: workers,
            sweeper: Sweeper(configuration: configuration, stop: stop, logger: logger),
            watchdog: Watchdog(configuration: configuration, heartbeats: heartbeats, health: health, keeper: keeper, logger: logger),
            credentials: preflight.credentials(), notifier: notifier, logger: logger)
    }
}
