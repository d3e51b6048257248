import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `GET /metrics` and, with a health check, `GET /health` on a local address: towerd's endpoint (TOWER_METRICS_ADDR).
/// A Hummingbird server, run as one service of the process's `ServiceGroup`; it stops when the group shuts down.
public struct MetricsServer: Service {
    /// Where the endpoint listens unless configured otherwise.
    public static let defaultAddress = "127.0.0.1:9464"

    public let address: ListenAddress
    /// Yields the port once listening (the chosen one when the address said 0), then ends; ends without it when
    /// the server cannot listen.
    public let listening: AsyncStream<Int>
    private let announce: AsyncStream<Int>.Continuation
    private let metrics: PrometheusMetrics
    private let health: (@Sendable () -> HealthReport)?
    private let key: String
    private let logger: Logger

    /// - Parameters:
    ///   - key: the setting that named `address`, for the error when it cannot listen.
    ///   - health: answers `GET /health`; without it that path is not found.
    public init(address: ListenAddress, key: String = "TOWER_METRICS_ADDR", metrics: PrometheusMetrics,
                health: (@Sendable () -> HealthReport)? = nil, logger: Logger) {
        self.address = address
        self.key = key
        self.metrics = metrics
        self.health = health
        self.logger = logger
        (listening, announce) = AsyncStream.makeStream(of: Int.self)
    }

    /// Serves until graceful shutdown.
    /// - Throws: `MetricsServerError.cannotListen` (port in use, permission).
    public func run() async throws {
        let (metrics, health, announce, address) = (self.metrics, self.health, self.announce, self.address)
        let router = Router()
        router.get("/metrics") { _, _ in metrics.response() }
        if let health { router.get("/health") { _, _ in health().response() } }
        router.get("/") { _, _ in health == nil ? "GET /metrics\n" : "GET /metrics, GET /health\n" }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
                              onServerRunning: { channel in
                                  announce.yield(channel.localAddress?.port ?? address.port)
                                  announce.finish()
                              }, logger: quiet)
        defer { announce.finish() }
        do {
            try await app.run()
        } catch {
            throw MetricsServerError.cannotListen(address: "\(address)", key: key, reason: "\(error)")
        }
    }
}

/// The metrics endpoint could not serve.
public enum MetricsServerError: Error, CustomStringConvertible, Equatable {
    case cannotListen(address: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let key, let reason):
            return "cannot serve metrics on \(address) (\(reason)): pick a free port with \(key), or set it to off"
        }
    }
}
