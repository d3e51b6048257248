/// Cuts an `SQSClient`'s receives short from any thread (e.g. at shutdown), while the client stays on its own.
public struct SQSInterrupter: Sendable {
    let flag: InterruptFlag

    /// Makes the receive in flight, or the next one, throw `SQSError.interrupted` within about a second
    /// (also cutting short a retry backoff). Messages a cut-off receive had already taken reappear after their
    /// visibility timeout.
    public func interrupt() { flag.raise() }
}
