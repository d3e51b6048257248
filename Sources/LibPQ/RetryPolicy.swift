import Foundation

/// Exponential backoff with full jitter: attempt n waits a uniform random time in [0, min(max, base·2ⁿ)].
public struct RetryPolicy: Sendable {
    /// Attempts in all (the first try included); `nil` retries forever.
    public var maxAttempts: Int?
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(maxAttempts: Int? = 8, baseDelay: TimeInterval = 0.05, maxDelay: TimeInterval = 5) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before retry number `attempt` (0-based).
    public func delay(forAttempt attempt: Int) -> TimeInterval {
        let cap = min(maxDelay, baseDelay * pow(2, Double(min(attempt, 30))))
        return Double.random(in: 0...cap)
    }

    /// True when another attempt is allowed after `attempts` failures.
    public func allows(after attempts: Int) -> Bool { maxAttempts.map { attempts < $0 } ?? true }
}
