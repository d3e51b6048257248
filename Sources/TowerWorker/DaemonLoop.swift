import Foundation
import Logging
import ServiceLifecycle
import TowerConfig
import TowerModel
import TowerRuntime
import UnixSignals

/// The daemon's service: starts the worker, visibility and sweeper threads, then ticks about once a second
/// (database health, the watchdog keep-alive and the status line, as `Watchdog` decides) and reloads the model on
/// SIGHUP. At graceful shutdown it sends STOPPING=1, stops receiving and waits for the batches in hand.
struct DaemonLoop: Service {
    let configuration: DaemonConfiguration
    let model: ModelHolder
    let metrics: DaemonMetrics
    let stop: StopSignal
    let health: DatabaseHealth
    let keeper: VisibilityKeeper
    let workers: [Worker]
    let sweeper: Sweeper
    let watchdog: Watchdog
    /// The AWS credential provider, for the `started` line.
    let credentials: String
    let notifier: SystemdNotifier
    let logger: Logger
    /// The metrics endpoint, whose port the `started` line names; nil when off.
    var server: MetricsServer?

    /// This loop, waiting for `server` to listen before it starts.
    func listening(on server: MetricsServer?) -> DaemonLoop {
        var loop = self
        loop.server = server
        return loop
    }

    func run() async throws {
        var endpoint = "off"
        if let server {
            var ports = server.listening.makeAsyncIterator()
            guard let port = await ports.next() else { return } // it cannot listen: its error ends the group
            endpoint = "http://\(server.address.host):\(port)/metrics"
        }
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let threads = ThreadGroup()
        for worker in workers { threads.spawn("towerd-worker-\(worker.index)") { worker.run() } }
        threads.spawn("towerd-visibility") { [keeper] in keeper.run() }
        threads.spawn("towerd-sweeper") { [sweeper] in sweeper.run() }
        logger.info("started", metadata: [
            "workers": .stringConvertible(configuration.workers), "queue": "\(configuration.queueURL)",
            "aws_provider": "\(credentials)",
            "dead_letter_queue": "\(configuration.deadLetterQueueURL ?? "none")",
            "metrics": "\(endpoint)",
            "window_s": .stringConvertible(Int(configuration.settings.windowSeconds)),
            "event_types": "\(configuration.settings.eventTypes.names.joined(separator: ","))",
        ])
        let status = watchdog.check().status
        notifier.ready(status: status)

        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { for await _ in hangups { await reload() } }
                    try await tick(from: status)
                }
            }
        } onGracefulShutdown: {
            beginStop()
        }
        if !stop.isStopping { beginStop() } // cancelled rather than shut down
        if await !threads.wait(seconds: Daemon.stopTimeoutSeconds) {
            logger.error("workers did not finish within \(Int(Daemon.stopTimeoutSeconds)) s; exiting anyway (their batches are redelivered)")
        }
        let totals = metrics.totals
        logger.info("stopped", metadata: [
            "applied": .stringConvertible(totals.applied), "duplicates": .stringConvertible(totals.duplicates),
            "rejected": .stringConvertible(totals.rejected),
        ])
    }

    /// Once a tick until cancelled: database health, the watchdog keep-alive and the status when it changes.
    private func tick(from status: String) async throws {
        var status = status
        let interval = Swift.Duration.milliseconds(Int64(min(1, notifier.watchdogInterval ?? 1) * 1000))
        while true {
            try await Task.sleep(for: interval)
            health.tick()
            let condition = watchdog.check()
            if condition.pinging { notifier.watchdog() }
            if condition.status != status {
                status = condition.status
                notifier.status(status)
            }
        }
    }

    private func beginStop() {
        logger.info("stopping: finishing the batches in hand")
        notifier.stopping()
        stop.requestStop()
        for worker in workers { worker.receiver.interrupt() }
    }

    private func reload() async {
        notifier.reloading()
        let previous = model.current.version
        do {
            try await onNewThread("towerd-reload") { [model] in _ = try model.reload() }
            Self.logModel(model, event: "model reloaded", previous: previous, metrics: metrics, logger: logger)
        } catch {
            logger.error("model reload failed; the previous model keeps running", metadata: [
                "path": "\(model.path)", "error": "\(error)", "version": "\(previous)",
            ])
        }
        notifier.ready()
    }

    /// Logs the model in use and marks it on /metrics.
    static func logModel(_ model: ModelHolder, event: String, previous: String?, metrics: DaemonMetrics, logger: Logger) {
        let version = model.current.version
        metrics.modelLoaded(version: version, previous: previous)
        logger.info("\(event)", metadata: ["version": "\(version)", "source": "\(model.currentOrigin)"])
    }
}
