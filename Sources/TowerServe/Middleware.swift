import Foundation
import Hummingbird
import Logging
import Metrics
import NIOConcurrencyHelpers
import TowerRuntime

/// Outermost middleware: turns every thrown error into its JSON answer, then writes one JSON access log line
/// (or an error line for 5xx) and the request's metrics. Only the path is logged, never headers or the query.
struct ObserveMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var failure: (any Error)?
        do {
            response = try await next(request, context)
        } catch {
            failure = error
            response = try APIError.from(error).response(from: request, context: context)
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = metrics.routeLabel(context.endpointPath)
        metrics.count(route: route, method: request.method.rawValue, status: String(response.status.code), duration: elapsed)
        var metadata: Logger.Metadata = ["method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "route": "\(route)",
                                         "status": .stringConvertible(response.status.code),
                                         "duration_ms": .stringConvertible((seconds * 1e5).rounded() / 100)]
        if response.status.code >= 500 {
            if let failure, !(failure is APIError) { metadata["error"] = "\(failure)" }
            logger.error("request failed", metadata: metadata)
        } else {
            logger.info("request", metadata: metadata)
        }
        return response
    }
}

/// CORS for browser callers: origins on the allow list (`*` allows any) get the CORS headers; preflights
/// (OPTIONS with Access-Control-Request-Method) are answered here, 204 when allowed and 403 otherwise.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: [String]

    static var allowHeaders: String { "authorization, content-type, x-algolia-api-key, x-algolia-application-id, x-algolia-agent" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = origins.contains("*") || origins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else {
                throw APIError(.forbidden, code: "origin_not_allowed",
                               message: "origin not on the allow list: add it to TOWER_API_CORS_ORIGINS")
            }
            var response = Response(status: .noContent)
            add(origin, to: &response.headers)
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = Self.allowHeaders
            response.headers[.accessControlMaxAge] = "600"
            return response
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try APIError.from(error).response(from: request, context: context)
        }
        if allowed { add(origin, to: &response.headers) }
        return response
    }

    private func add(_ origin: String, to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }
}

/// API keys and the per-key rate limit. The key comes from `x-algolia-api-key` or `Authorization: Bearer`;
/// it is compared by SHA-256 digest and never logged. `/health` and `/metrics` need no key.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Accepted digests; nil: access control off.
    let digests: Set<String>?
    let limiter: RateLimiter?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path != "/health", path != "/metrics", request.method != .options else { return try await next(request, context) }
        var bucket = "anonymous"
        if let digests {
            guard let key = Self.key(request) else {
                throw APIError(.unauthorized, code: "missing_api_key",
                               message: "send an API key in the x-algolia-api-key header or as Authorization: Bearer KEY")
            }
            let digest = APIKeys.digest(key)
            guard digests.contains(digest) else {
                throw APIError(.forbidden, code: "invalid_api_key", message: "the API key is not valid: check TOWER_API_KEYS on the server")
            }
            bucket = digest
        }
        if let limiter, let wait = limiter.take(bucket) {
            throw APIError(.tooManyRequests, code: "rate_limited",
                           message: "this key's rate limit is exhausted: retry after the Retry-After delay or raise TOWER_API_RATE_LIMIT",
                           headers: [.retryAfter: String(max(1, Int(wait.rounded(.up))))])
        }
        return try await next(request, context)
    }

    static func key(_ request: Request) -> String? {
        if let key = request.headers.first(where: { $0.name.canonicalName == "x-algolia-api-key" })?.value, !key.isEmpty { return key }
        if let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer ") {
            let key = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return key.isEmpty ? nil : key
        }
        return nil
    }
}

/// Token buckets per key: `rate` requests a second, up to `burst` at once.
final class RateLimiter: Sendable {
    private let rate: Double
    private let burst: Double
    private let buckets = NIOLockedValueBox([String: (tokens: Double, at: Double)]())

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// Takes a token for `key`: nil when allowed, else the seconds until one is available.
    func take(_ key: String) -> Double? {
        let now = ProcessInfo.processInfo.systemUptime
        return buckets.withLockedValue { buckets in
            var bucket = buckets[key] ?? (tokens: burst, at: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rate }
            bucket.tokens -= 1
            return nil
        }
    }
}

/// The server's Prometheus metrics, through swift-metrics: `tower_api_requests_total{route,method,status}` (counter),
/// `tower_api_request_duration_seconds{route,status}` (histogram) and `tower_api_queued_requests` (gauge).
struct ServeMetrics: Sendable {
    let prometheus = PrometheusMetrics(timerBuckets: ["tower_api_request_duration_seconds": PrometheusMetrics.latencyBuckets])
    /// Requests waiting for a database worker.
    let queued: Gauge
    /// The route labels that exist (anything else is counted as `unmatched`, so labels stay bounded).
    let routes: Set<String>

    init(routes: Set<String>) {
        queued = Gauge(label: "tower_api_queued_requests", factory: prometheus.factory)
        self.routes = routes
    }

    /// Counts one answered request and its latency.
    func count(route: String, method: String, status: String, duration: Duration) {
        Counter(label: "tower_api_requests_total", dimensions: [("route", route), ("method", method), ("status", status)],
                factory: prometheus.factory).increment()
        Metrics.Timer(label: "tower_api_request_duration_seconds", dimensions: [("route", route), ("status", status)],
                      factory: prometheus.factory).record(duration: duration)
    }

    func routeLabel(_ path: String?) -> String {
        guard let path, routes.contains(path) else { return "unmatched" }
        return path
    }
}
