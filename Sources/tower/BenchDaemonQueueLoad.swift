import Foundation
import TowerQueue

/// Message bodies for a `BenchProducer`, one per call.
protocol BenchMessageSource {
    mutating func next() -> String
}

extension BenchWorkload.EventStream: BenchMessageSource {}

/// Feeds a queue with a source's messages in batches (10 entries, at most 256 KiB a request), keeping the backlog
/// (sent − consumed) at most `backlog` messages: ministack's per-call cost grows with queue depth, so an unbounded
/// backlog would measure the server, not the consumer.
final class BenchProducer: @unchecked Sendable {
    /// How the producer learns how many messages wait.
    enum Progress {
        /// The consumer counts what it consumed (preferred: polling GetQueueAttributes costs ministack time that
        /// grows with depth, which would slow the consumer under test).
        case consumed(() throws -> Int)
        /// Visible + in-flight messages from GetQueueAttributes, for consumers that report no progress; use a
        /// `pollInterval` of a few hundred milliseconds.
        case queueDepth
    }

    /// SQS's limit on a SendMessageBatch request's bodies, in bytes.
    static let maxBatchBytes = 262_144

    private let client: SQSClient
    private let queueURL: String
    private var stream: any BenchMessageSource
    private let total: Int
    private let backlog: Int
    private let progress: Progress
    private let pollInterval: Double
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: (any Error)?
    /// Messages sent so far (written by the producer thread only, after `start`).
    private var sent = 0
    /// The queue's message id of each message sent, in the source's order.
    private var messageIDs: [String] = []
    private var pauseRequested = false
    private var parked = false
    /// Times the producer found nothing left to consume before it had sent everything (it was the bottleneck).
    private(set) var emptyObservations = 0

    init(configuration: SQSConfiguration, queueURL: String, stream: any BenchMessageSource, total: Int, backlog: Int,
         pollInterval: Double = 0.002, progress: Progress) throws {
        client = try SQSClient(configuration: configuration)
        self.queueURL = queueURL
        self.stream = stream
        self.total = total
        self.backlog = backlog
        self.pollInterval = pollInterval
        self.progress = progress
    }

    /// Fills the backlog now, then keeps topping it up on a background thread.
    func start() throws {
        let first = try send(min(backlog, total))
        lock.withLock { sent = first }
        let thread = Thread { [self] in
            do {
                while lock.withLock({ sent }) < total {
                    if holdWhilePaused() { continue }
                    let waiting = try waitingMessages()
                    if waiting <= 0 { lock.withLock { emptyObservations += 1 } }
                    if waiting > backlog * 3 / 4 {
                        Thread.sleep(forTimeInterval: pollInterval)
                        continue
                    }
                    let n = try send(min(backlog - waiting, total - lock.withLock { sent }))
                    lock.withLock { sent += n }
                }
            } catch {
                lock.withLock { failure = error }
            }
            done.signal()
        }
        thread.name = "bench-producer"
        thread.start()
    }

    /// Waits until everything was sent; rethrows a send failure.
    func finish() throws {
        done.wait()
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Messages sent so far.
    var sentCount: Int { lock.withLock { sent } }

    /// The queue's message id of each message sent so far, in the order the source produced them.
    var sentMessageIDs: [String] { lock.withLock { messageIDs } }

    /// Stops sending and returns once no request is in flight (for a queue-server outage: a send that timed out
    /// and was retried could enqueue a message twice). Returns at once when everything was already sent.
    func pause() {
        lock.withLock { pauseRequested = true }
        while lock.withLock({ !parked && sent < total && failure == nil }) { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Sends again after `pause`.
    func resume() { lock.withLock { pauseRequested = false } }

    /// Parks the producer thread while a pause is requested; true when it was parked.
    private func holdWhilePaused() -> Bool {
        guard lock.withLock({ pauseRequested }) else { return false }
        lock.withLock { parked = true }
        while lock.withLock({ pauseRequested }) { Thread.sleep(forTimeInterval: 0.01) }
        lock.withLock { parked = false }
        return true
    }

    private func send(_ count: Int) throws -> Int {
        var entries: [SQSSendEntry] = [], bytes = 0
        func flush() throws {
            guard !entries.isEmpty else { return }
            let result = try client.sendMessageBatch(queueURL: queueURL, entries: entries)
            guard result.failed.isEmpty else { throw BenchError.producer("SendMessageBatch failed: \(result.failed)") }
            let ids = Dictionary(result.successful.map { ($0.id, $0.messageID) }, uniquingKeysWith: { a, _ in a })
            lock.withLock { messageIDs += entries.map { ids[$0.id] ?? "" } }
            (entries, bytes) = ([], 0)
        }
        for _ in 0..<count {
            let body = stream.next()
            if entries.count == SQSClient.maxBatchSize || bytes + body.utf8.count > Self.maxBatchBytes { try flush() }
            entries.append(SQSSendEntry(id: "e\(entries.count)", body: body))
            bytes += body.utf8.count
        }
        try flush()
        return count
    }

    private func waitingMessages() throws -> Int {
        let sent = lock.withLock { self.sent }
        switch progress {
        case .consumed(let consumed):
            return sent - (try consumed())
        case .queueDepth:
            let a = try client.getQueueAttributes(queueURL: queueURL, names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            return (Int(a["ApproximateNumberOfMessages"] ?? "") ?? 0) + (Int(a["ApproximateNumberOfMessagesNotVisible"] ?? "") ?? 0)
        }
    }
}

/// The queue's own ceiling: `receivers` threads that only receive (batches of 10) and delete, until `total`
/// messages were consumed. `run` returns the rate from the first receive to the last delete.
final class BenchCeiling: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var first: ContinuousClock.Instant?
    private var last: ContinuousClock.Instant?
    private var failure: (any Error)?

    /// Messages deleted so far.
    var consumed: Int { lock.withLock { count } }

    func run(configuration: SQSConfiguration, queueURL: String, receivers: Int, total: Int) throws -> (seconds: Double, count: Int) {
        let group = DispatchGroup()
        for i in 0..<receivers {
            let client = try SQSClient(configuration: configuration)
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                do {
                    while lock.withLock({ failure == nil && count < total }) {
                        let messages = try client.receiveMessages(queueURL: queueURL, waitTimeSeconds: 1)
                        guard !messages.isEmpty else { continue }
                        let received = ContinuousClock.now
                        lock.withLock { if first == nil { first = received } }
                        _ = try client.deleteMessageBatch(queueURL: queueURL, entries: messages.enumerated().map {
                            SQSDeleteEntry(id: "m\($0.offset)", receiptHandle: $0.element.receiptHandle)
                        })
                        let deleted = ContinuousClock.now
                        lock.withLock { count += messages.count; last = deleted }
                    }
                } catch {
                    lock.withLock { failure = error }
                }
            }
            thread.name = "bench-ceiling-\(i)"
            thread.start()
        }
        group.wait()
        return try lock.withLock {
            if let failure { throw failure }
            guard let first, let last else { return (0, 0) }
            return (BenchStats.seconds(last - first), count)
        }
    }
}

/// Benchmark failures, each saying what to check.
enum BenchError: Error, CustomStringConvertible {
    case producer(String)
    case daemon(String)
    case peer(String)
    case setup(String)
    case chaos(String)

    var description: String {
        switch self {
        case .producer(let m): return "the benchmark producer failed: \(m)"
        case .daemon(let m): return "towerd failed during the benchmark: \(m)"
        case .peer(let m): return "the Python peer failed: \(m)"
        case .setup(let m): return "cannot set up the benchmark: \(m)"
        case .chaos(let m): return "the chaos run failed its checks: \(m)"
        }
    }
}

/// Small statistics helpers.
enum BenchStats {
    static func seconds(_ d: Swift.Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The `p`-th percentile (0…100) by linear interpolation, as numpy does by default.
    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = p / 100 * Double(sorted.count - 1)
        let lo = Int(rank.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - Double(lo))
    }
}
