/// Bounded retries with exponential backoff and full jitter
/// (delay before retry *n* is uniform in `0 ..< min(maxDelay, baseDelay · 2ⁿ⁻¹)`).
///
/// Applied to throttling, HTTP 5xx and network errors. SendMessage is retried too, so a send whose
/// answer was lost can be delivered twice (SQS is at-least-once anyway).
public struct SQSRetryPolicy: Sendable, Equatable {
    /// Attempts per request, the first included (1 disables retries).
    public var maxAttempts: Int
    /// Seconds; the backoff ceiling of the first retry.
    public var baseDelay: Double
    /// Seconds; the largest backoff ceiling.
    public var maxDelay: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.05, maxDelay: Double = 5) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry).
    public func ceiling(beforeRetry retry: Int) -> Double {
        let exponent = Double(min(max(retry - 1, 0), 62))
        return min(maxDelay, baseDelay * (exponent == 0 ? 1 : pow2(exponent)))
    }

    /// A full-jitter delay before retry number `retry`, drawn from `generator`.
    public func delay<G: RandomNumberGenerator>(beforeRetry retry: Int, using generator: inout G) -> Double {
        let top = ceiling(beforeRetry: retry)
        return top > 0 ? Double.random(in: 0..<top, using: &generator) : 0
    }

    private func pow2(_ e: Double) -> Double { Double(sign: .plus, exponent: Int(e), significand: 1) }
}
