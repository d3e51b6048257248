import Hummingbird
import NIOCore
import Prometheus

/// A process part's Prometheus registry: the swift-metrics `Counter`, `Gauge`, `Meter` and `Timer` made with `factory`
/// land in `registry`, and `response()` renders them in the text format 0.0.4 for `GET /metrics`.
///
/// Each owner (the daemon, the HTTP server, a test) makes its own, so nothing hinges on the process-wide
/// `MetricsSystem.bootstrap`. Label values must be fixed per call site (event types, reasons, routes): never put
/// unbounded values such as ids in labels.
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// Seconds from 1 ms to 10 s, for batch and request latencies.
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The content type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// - Parameter timerBuckets: the histogram upper bounds, in seconds, of each `Timer` label (`+Inf` is added).
    public init(timerBuckets: [String: [Double]] = [:]) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = timerBuckets.mapValues { bounds in bounds.map { .nanoseconds(Int64(($0 * 1e9).rounded())) } }
        self.factory = factory
    }

    /// Every metric in the text format.
    public func exposition() -> String { registry.emitToString() }

    /// The answer to `GET /metrics`.
    public func response() -> Response {
        Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
