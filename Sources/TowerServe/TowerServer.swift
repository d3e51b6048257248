import CoreMetrics
import Foundation
import Hummingbird
import Logging
import TowerJSON
import ServiceLifecycle
import TowerRanking
import TowerRuntime
import UnixSignals

/// `tower serve`: the HTTP API over `TowerRanking`. Build one with a configuration, then `run()` until SIGTERM.
///
/// Ranking calls block on libpq, so they run on a `BlockingPool` of `workers` threads (one database connection
/// each) with a bounded queue; a full queue answers 503 with `Retry-After`. SIGTERM/SIGINT stop accepting,
/// let requests in flight finish (up to `drainSeconds`) and return. Systemd gets READY=1 once the socket is
/// bound and STOPPING=1 at the signal.
public struct TowerServer: Sendable {
    public let configuration: ServeConfiguration
    let ranker: Ranker
    let pool: BlockingPool
    let metrics: ServeMetrics
    let logger: Logger

    public init(configuration: ServeConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var rankerConfiguration = RankerConfiguration()
        rankerConfiguration.maxConnections = configuration.workers
        ranker = Ranker(url: configuration.databaseURL, configuration: rankerConfiguration)
        pool = BlockingPool(threads: configuration.workers, queueCapacity: configuration.queueCapacity)
        metrics = ServeMetrics(routes: Self.routes)
    }

    /// Products in the catalog snapshot the feed ranks from (nil: none yet, or the catalog is too large for one).
    public var catalogSnapshotProducts: Int? { ranker.catalogSnapshotProducts }

    /// Every route template (the `route` label of the metrics).
    static let routes: Set<String> = [
        "/health", "/metrics", "/v1/customers/{customer}/feed", "/v1/customers/{customer}/recently-viewed",
        "/v1/products/{product}", "/v1/products/{product}/similar", "/v1/products/{product}/related",
        "/v1/products/{product}/bought-together", "/v1/trending", "/v1/trending/facets/{attribute}",
        "/1/indexes/*/recommendations",
    ]

    /// The router with every route and middleware.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ObserveMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: CORSMiddleware(origins: configuration.corsOrigins))
        router.add(middleware: AccessMiddleware(digests: configuration.keyDigests,
                                                limiter: configuration.rateLimit > 0
                                                    ? RateLimiter(rate: configuration.rateLimit, burst: configuration.rateBurst) : nil))
        let (ranker, pool, metrics) = (self.ranker, self.pool, self.metrics)
        router.get("/health") { _, _ -> Response in
            do {
                let status = try await pool.run { try ranker.vectorIndexStatus() }
                return JSONBody.response { w in w.object { w in w.field("status", "ok"); w.field("products", "\(status.estimatedProducts)") } }
            } catch is BlockingPool.Overloaded {
                throw APIError.overloaded
            } catch {
                throw APIError(.serviceUnavailable, code: "database_unreachable",
                               message: "the database is not reachable: check TOWER_READONLY_DATABASE_URL and PostgreSQL")
            }
        }
        router.get("/metrics") { _, _ -> Response in
            metrics.queued.record(pool.queued)
            return metrics.prometheus.response()
        }
        TowerAPI(ranker: ranker, pool: pool).register(on: router)
        AlgoliaAPI(ranker: ranker, pool: pool).register(on: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT (when `handleSignals`) or the task's cancellation, then drains.
    /// `onReady` runs once the socket listens.
    public func run(handleSignals: Bool = true, onReady: @escaping @Sendable () -> Void = {}) async throws {
        let notifier = SystemdNotifier()
        let (host, port) = (configuration.host, configuration.port)
        let logger = self.logger
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "tower"),
                              onServerRunning: { _ in
                                  logger.info("listening", metadata: ["address": "\(host):\(port)"])
                                  notifier.ready(status: "serving on \(host):\(port)")
                                  onReady()
                              }, logger: logger)
        let stopping = ShutdownNotice { [configuration] in
            notifier.stopping()
            logger.info("draining", metadata: ["timeout_s": .stringConvertible(configuration.drainSeconds)])
        }
        // Shutdown runs in reverse order: STOPPING=1 first, then the server drains.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: stopping, successTerminationBehavior: .ignore)],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = Swift.Duration.milliseconds(Int64(configuration.drainSeconds * 1000))
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        pool.shutdown()
        ranker.close()
        logger.info("stopped")
    }
}
