import Foundation
import NIOConcurrencyHelpers

/// Runs blocking work (libpq calls through `Ranker`) on a fixed set of threads, never on the event loop or
/// Swift concurrency's cooperative threads.
///
/// At most `threads` jobs run at once and at most `queueCapacity` wait; `run` throws `Overloaded` at once when
/// the queue is full, which the server answers with 503 and `Retry-After`.
public final class BlockingPool: Sendable {
    /// The queue was full.
    public struct Overloaded: Error {}

    private struct State {
        var jobs: [(@Sendable () -> Void)] = []
        var head = 0
        var stopped = false
        var busy = 0
        var waiting: Int { jobs.count - head }
    }

    public let threads: Int
    public let queueCapacity: Int
    private let state = NIOLockedValueBox(State())
    private let available = DispatchSemaphore(value: 0)

    public init(threads: Int, queueCapacity: Int) {
        self.threads = max(1, threads)
        self.queueCapacity = max(0, queueCapacity)
        for n in 0..<self.threads {
            let thread = Thread { [self] in self.workLoop() }
            thread.name = "tower-serve-\(n)"
            thread.start()
        }
    }

    /// Jobs waiting for a thread now.
    public var queued: Int { state.withLockedValue { $0.waiting } }

    /// Runs `work` on a pool thread and returns its result; throws `Overloaded` when the queue is full.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let accepted = state.withLockedValue { s -> Bool in
                // Running plus waiting jobs: at most one per thread plus the queue.
                guard !s.stopped, s.busy + s.waiting < threads + queueCapacity else { return false }
                s.jobs.append { continuation.resume(with: Result(catching: work)) }
                return true
            }
            if accepted { available.signal() } else { continuation.resume(throwing: Overloaded()) }
        }
    }

    /// Lets the threads finish the queued jobs and exit.
    public func shutdown() {
        state.withLockedValue { $0.stopped = true }
        for _ in 0..<threads { available.signal() }
    }

    private func workLoop() {
        while true {
            available.wait()
            let job: (@Sendable () -> Void)? = state.withLockedValue { s in
                guard s.head < s.jobs.count else { return nil }
                let job = s.jobs[s.head]
                s.head += 1
                s.busy += 1
                if s.head > 1024 && s.head * 2 > s.jobs.count {
                    s.jobs.removeFirst(s.head)
                    s.head = 0
                }
                return job
            }
            guard let job else {
                if state.withLockedValue({ $0.stopped }) { return }
                continue
            }
            job()
            state.withLockedValue { $0.busy -= 1 }
        }
    }
}
