import Dispatch
import Foundation

/// Named threads for blocking work (libpq, libcurl, file reads), so it never holds Swift's cooperative pool.
public final class ThreadGroup: Sendable {
    private let running = DispatchGroup()

    public init() {}

    /// Starts `body` on a new thread named `name`.
    public func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        running.enter()
        let thread = Thread { [running] in
            body()
            running.leave()
        }
        thread.name = name
        thread.start()
    }

    /// Waits for every spawned thread to finish, up to `seconds`; false when some are still running.
    public func wait(seconds: Double) async -> Bool {
        await onNewThread("\(Self.self).wait") { [running] in running.wait(timeout: .now() + seconds) == .success }
    }
}

/// Runs blocking `body` on a new thread named `name` and returns its result.
public func onNewThread<T: Sendable, E: Error>(_ name: String, _ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, E>, Never>) in
        let thread = Thread { continuation.resume(returning: Result { () throws(E) -> T in try body() }) }
        thread.name = name
        thread.start()
    }
    return try result.get()
}
