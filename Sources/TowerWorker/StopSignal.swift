import Foundation
import Synchronization

/// A one-way "stop now" flag that sleeping threads can wait on (so shutdown never waits out a backoff).
public final class StopSignal: Sendable {
    private let condition = NSCondition()
    private let stopped = Atomic(false)

    public init() {}

    public var isStopping: Bool { stopped.load(ordering: .acquiring) }

    /// Sets the flag and wakes every waiter.
    public func requestStop() {
        condition.withLock {
            stopped.store(true, ordering: .releasing)
            condition.broadcast()
        }
    }

    /// Sleeps up to `seconds`; returns true (early) when a stop was requested.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(max(0, seconds))
        return condition.withLock {
            while !isStopping, condition.wait(until: deadline) {}
            return isStopping
        }
    }
}

/// Each worker's last sign of life, for the systemd watchdog: a worker stuck longer than a receive and a
/// batch can take stops the keep-alive pings, and systemd restarts the daemon.
public final class Heartbeats: Sendable {
    private let last: Mutex<[ContinuousClock.Instant]>

    public init(workers: Int) { last = Mutex(Array(repeating: .now, count: workers)) }

    public func beat(_ worker: Int) {
        let now = ContinuousClock.now
        last.withLock { $0[worker] = now }
    }

    /// True when every worker beat within `limit` seconds.
    public func allFresh(within limit: Double) -> Bool {
        let oldest = last.withLock { $0.min() } ?? .now
        return ContinuousClock.now - oldest <= .milliseconds(Int64(limit * 1000))
    }
}
