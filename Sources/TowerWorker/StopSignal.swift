import Foundation

/// A one-way "stop now" flag that sleeping threads can wait on (so shutdown never waits out a backoff).
public final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    public init() {}

    public var isStopping: Bool { condition.withLock { stopped } }

    /// Sets the flag and wakes every waiter.
    public func requestStop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// Sleeps up to `seconds`; returns true (early) when a stop was requested.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(max(0, seconds))
        return condition.withLock {
            while !stopped, condition.wait(until: deadline) {}
            return stopped
        }
    }
}

/// Each worker's last sign of life, for the systemd watchdog: a worker stuck longer than a receive and a
/// batch can take stops the keep-alive pings, and systemd restarts the daemon.
public final class Heartbeats: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [ContinuousClock.Instant]

    public init(workers: Int) { last = Array(repeating: .now, count: workers) }

    public func beat(_ worker: Int) {
        let now = ContinuousClock.now
        lock.withLock { last[worker] = now }
    }

    /// True when every worker beat within `limit` seconds.
    public func allFresh(within limit: Double) -> Bool {
        let oldest = lock.withLock { last.min() } ?? .now
        return ContinuousClock.now - oldest <= .milliseconds(Int64(limit * 1000))
    }
}
