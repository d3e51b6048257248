import Foundation
import Logging
import Synchronization
import TowerQueue

/// The daemon's condition as systemd (`WATCHDOG=1`, `STATUS=`) and `GET /health` see it.
public struct DaemonCondition: Sendable, Equatable {
    /// Send the watchdog keep-alive: every worker shows signs of life and no batch is stuck.
    public var pinging: Bool
    /// Events are flowing (or the queue is idle): pinging, and the database takes writes.
    public var healthy: Bool
    /// One line for `systemctl status` (it changes with the state only, not with every second).
    public var status: String
}

/// Decides, about once a second, whether the systemd watchdog is pinged and what the status says.
///
/// The pings stop — and systemd restarts towerd (`WatchdogSec=`) — when a worker shows no sign of life for
/// longer than a receive can take, or when a received batch has been held for TOWER_WATCHDOG_STALL while the
/// database is *not* known to be down: a hang no error reports (a frozen server process, a lock wait with the
/// timeouts off, a bug). An idle queue holds no batch, so it never stops them; nor does a database outage
/// (`DatabaseHealth`): it is logged, on /metrics and in the status, and a restart cannot cure it.
final class Watchdog: Sendable {
    private let configuration: DaemonConfiguration
    private let heartbeats: Heartbeats
    private let health: DatabaseHealth
    private let keeper: VisibilityKeeper
    private let logger: Logger
    /// Beyond this a silent worker is stuck: a receive may take its wait plus the request timeout on each attempt.
    private let staleAfter: Double
    /// Whether the last `check()` found a stall (to log its start and end once).
    private let stalled = Mutex(false)

    init(configuration: DaemonConfiguration, heartbeats: Heartbeats, health: DatabaseHealth, keeper: VisibilityKeeper, logger: Logger) {
        self.configuration = configuration
        self.heartbeats = heartbeats
        self.health = health
        self.keeper = keeper
        self.logger = logger
        let sqs = configuration.sqs
        staleAfter = (Double(configuration.receiveWaitSeconds) + sqs.requestTimeout + sqs.retry.maxDelay) * Double(sqs.retry.maxAttempts) + 30
    }

    /// The condition now; logs when a stall begins and ends.
    func check() -> DaemonCondition {
        let now = evaluate()
        let wasStalled = stalled.withLock { state in
            defer { state = now.stalled }
            return state
        }
        if now.stalled, !wasStalled {
            logger.critical("no progress: a batch is held without the database being down; the watchdog pings stop, so systemd restarts towerd", metadata: [
                "held_s": .stringConvertible(Int(keeper.longestHeldSeconds)), "messages_in_hand": .stringConvertible(keeper.messagesHeld),
                "stall_s": .stringConvertible(Int(configuration.watchdogStallSeconds)),
            ])
        } else if !now.stalled, wasStalled {
            logger.notice("progress again: the held batch moved; the watchdog pings resume")
        }
        return now.condition
    }

    /// What `GET /health` answers: the condition now, with the ages.
    var report: (healthy: Bool, text: String) {
        let condition = evaluate().condition
        return (condition.healthy, "\(condition.healthy ? "ok" : "unhealthy"): \(condition.status); last commit "
            + "\(Int(health.secondsSinceLastCommit)) s ago; \(keeper.messagesHeld) messages in hand\n")
    }

    private func evaluate() -> (condition: DaemonCondition, stalled: Bool) {
        let alive = heartbeats.allFresh(within: staleAfter)
        let problem = health.problem
        let stalled = problem == nil && keeper.longestHeldSeconds > configuration.watchdogStallSeconds
        let status: String
        if let problem, let since = health.downSince {
            status = "database down since \(since.formatted(.iso8601)) (\(problem.rawValue)): \(problem.explanation); "
                + "holding \(keeper.messagesHeld) messages, nothing is lost"
        } else if stalled {
            status = "stalled: a batch held over TOWER_WATCHDOG_STALL (\(Int(configuration.watchdogStallSeconds)) s) without progress; watchdog pings stopped"
        } else if !alive {
            status = "a worker shows no sign of life for \(Int(staleAfter)) s; watchdog pings stopped"
        } else {
            status = Self.consuming(configuration)
        }
        return (DaemonCondition(pinging: alive && !stalled, healthy: alive && !stalled && problem == nil, status: status), stalled)
    }

    private static func consuming(_ configuration: DaemonConfiguration) -> String {
        "consuming \(configuration.queueURL) with \(configuration.workers) workers"
    }
}
