import ServiceLifecycle

/// A service that runs `action` once graceful shutdown begins (SIGTERM): put it last in a `ServiceGroup`, whose
/// services shut down in reverse order, so `action` (STOPPING=1, a log line) comes before the others drain.
public struct ShutdownNotice: Service {
    private let action: @Sendable () -> Void

    public init(_ action: @escaping @Sendable () -> Void) { self.action = action }

    public func run() async throws {
        try? await gracefulShutdown()
        action()
    }
}
