import CCurl
import Foundation
import TowerConfig
import TowerJSON

/// An SQS client speaking the JSON 1.0 protocol over one kept-alive libcurl handle, with requests
/// signed by libcurl's AWS SigV4 (`CURLOPT_AWS_SIGV4`).
///
/// Calls block the calling thread (a receive up to its wait time plus `requestTimeout`): run them on a
/// dedicated thread, not on Swift concurrency's cooperative pool.
///
/// Not `Sendable`: a client belongs to the thread that uses it (one client per worker thread), or moves to it
/// `sending`. Other threads cut its receives short through its `interrupter`, taken before it moves.
///
/// Throttling, HTTP 5xx and network failures are retried per `SQSConfiguration.retry`
/// (exponential backoff, full jitter); an expired-token answer makes the credential source refresh, then the
/// request is sent once more; every other failure is thrown at once as `SQSError` (or `CredentialError` when
/// that refresh fails).
///
/// Each request signs with the credential source's current credentials, which its thread refreshes ahead of expiry.
public final class SQSClient {
    public let configuration: SQSConfiguration
    /// Called before each retry sleep (for logs and metrics). Set it before the client is used.
    public var retryObserver: (@Sendable (SQSRetry) -> Void)?

    /// Replaced (on the client's thread) when the credentials change.
    private var session: CurlSession
    private let interrupt = InterruptFlag()
    private let url: String
    /// The credentials the session signs with, and their token header.
    private var signing: AWSCredentials
    private var tokenHeader: String?
    private var random = SystemRandomNumberGenerator()

    /// The system attributes every receive asks for.
    public static let systemAttributes = ["SentTimestamp", "ApproximateReceiveCount"]
    /// SQS's batch limit.
    public static let maxBatchSize = 10

    /// - Throws: `SQSError.unsupportedLibcurl` when libcurl cannot be set up for SigV4.
    public init(configuration: SQSConfiguration) throws {
        self.configuration = configuration
        url = configuration.endpoint + "/"
        signing = configuration.credentials.current
        tokenHeader = signing.sessionToken.map { "X-Amz-Security-Token: \($0)" }
        session = try Self.session(configuration, signing, interrupt)
    }

    private static func session(_ configuration: SQSConfiguration, _ credentials: AWSCredentials,
                                _ interrupt: InterruptFlag) throws -> CurlSession {
        do {
            return try CurlSession(signing: .init(region: configuration.region, service: "sqs", credentials: credentials),
                                   connectTimeout: configuration.connectTimeout, caBundle: configuration.caBundle, interrupt: interrupt)
        } catch {
            throw SQSError.unsupportedLibcurl(detail: error.detail)
        }
    }

    /// A client configured from `source` (see `SQSConfiguration`).
    public convenience init(_ source: ConfigSource) throws {
        try self.init(configuration: SQSConfiguration(source))
    }

    // MARK: Receiving

    /// Long-polls for up to `maxMessages` (1...10) messages, waiting up to `waitTimeSeconds` (0...20)
    /// for the first; returns an empty array when none arrived. Asks for `SentTimestamp`,
    /// `ApproximateReceiveCount` and all message attributes. Each message is read on its own: one whose Body
    /// or attributes cannot be read comes back with `SQSMessage.unreadable` set, beside its readable batch-mates.
    /// - Parameter visibilityTimeout: seconds the messages stay hidden; nil uses the queue's setting.
    /// - Throws: `SQSError` (`.interrupted` after `interrupter.interrupt()`).
    public func receiveMessages(queueURL: String, maxMessages: Int = SQSClient.maxBatchSize, waitTimeSeconds: Int = 20,
                                visibilityTimeout: Int? = nil) throws -> [SQSMessage] {
        guard (1...Self.maxBatchSize).contains(maxMessages), (0...20).contains(waitTimeSeconds) else {
            throw SQSError.invalidArgument("ReceiveMessage takes 1...10 messages and a wait of 0...20 s (got \(maxMessages), \(waitTimeSeconds))")
        }
        if interrupt.consume() { throw SQSError.interrupted }
        let request = SQSWire.receive(queueURL: queueURL, maxMessages: maxMessages, waitTimeSeconds: waitTimeSeconds,
                                      visibilityTimeout: visibilityTimeout, systemAttributes: Self.systemAttributes)
        let answer = try call("ReceiveMessage", request, queue: queueURL, extraTime: Double(waitTimeSeconds), interruptible: true,
                              keepingUndecodableStrings: true)
        return try SQSWire.Reader(action: "ReceiveMessage").messages(answer)
    }

    /// The handle other threads interrupt this client's receives with.
    public var interrupter: SQSInterrupter { SQSInterrupter(flag: interrupt) }

    // MARK: Deleting and visibility

    /// Deletes up to 10 messages. HTTP 200 can still carry failed entries: they are returned
    /// (empty when all were deleted). An empty `entries` sends nothing.
    public func deleteMessageBatch(queueURL: String, entries: [SQSDeleteEntry]) throws -> [SQSBatchFailure] {
        guard !entries.isEmpty else { return [] }
        try checkBatch(entries.map(\.id), action: "DeleteMessageBatch")
        let answer = try call("DeleteMessageBatch", SQSWire.delete(queueURL: queueURL, entries: entries), queue: queueURL)
        return try SQSWire.Reader(action: "DeleteMessageBatch").failures(answer)
    }

    /// Deletes one message.
    public func deleteMessage(queueURL: String, receiptHandle: String) throws {
        _ = try call("DeleteMessage", SQSWire.queue(queueURL, [("ReceiptHandle", receiptHandle)]), queue: queueURL)
    }

    /// Makes one received message visible again after `visibilityTimeout` seconds (0 = now).
    public func changeMessageVisibility(queueURL: String, receiptHandle: String, visibilityTimeout: Int) throws {
        let request = SQSWire.queue(queueURL, [("ReceiptHandle", receiptHandle)], int: ("VisibilityTimeout", visibilityTimeout))
        _ = try call("ChangeMessageVisibility", request, queue: queueURL)
    }

    /// Changes the visibility of up to 10 messages; returns the entries that failed.
    public func changeMessageVisibilityBatch(queueURL: String, entries: [SQSVisibilityEntry]) throws -> [SQSBatchFailure] {
        guard !entries.isEmpty else { return [] }
        try checkBatch(entries.map(\.id), action: "ChangeMessageVisibilityBatch")
        let answer = try call("ChangeMessageVisibilityBatch", SQSWire.visibility(queueURL: queueURL, entries: entries), queue: queueURL)
        return try SQSWire.Reader(action: "ChangeMessageVisibilityBatch").failures(answer)
    }

    // MARK: Sending

    /// Sends one message; returns its message id.
    public func sendMessage(queueURL: String, body: String, messageAttributes: [String: SQSMessageAttribute] = [:],
                            delaySeconds: Int? = nil) throws -> String {
        let request = SQSWire.sendOne(queueURL: queueURL, body: body, attributes: messageAttributes, delaySeconds: delaySeconds)
        return try SQSWire.Reader(action: "SendMessage").required(call("SendMessage", request, queue: queueURL), "MessageId")
    }

    /// Sends up to 10 messages; the answer lists the accepted and the failed entries.
    public func sendMessageBatch(queueURL: String, entries: [SQSSendEntry]) throws -> SQSSendBatchResult {
        guard !entries.isEmpty else { return SQSSendBatchResult(successful: [], failed: []) }
        try checkBatch(entries.map(\.id), action: "SendMessageBatch")
        let answer = try call("SendMessageBatch", SQSWire.send(queueURL: queueURL, entries: entries), queue: queueURL)
        let reader = SQSWire.Reader(action: "SendMessageBatch")
        return SQSSendBatchResult(successful: try reader.sent(answer), failed: try reader.failures(answer))
    }

    // MARK: Queues

    /// Queue attributes by name (`All`, `ApproximateNumberOfMessages`, `VisibilityTimeout`, `QueueArn`, …).
    /// Also the cheapest check that a queue exists and the credentials work.
    public func getQueueAttributes(queueURL: String, names: [String] = ["All"]) throws -> [String: String] {
        let answer = try call("GetQueueAttributes", SQSWire.attributes(queueURL: queueURL, names: names), queue: queueURL)
        guard let attributes = answer["Attributes"] else { return [:] }
        guard let map = attributes.stringMap else { throw SQSError.malformedResponse(action: "GetQueueAttributes", detail: "Attributes is not a string map") }
        return map
    }

    /// The URL of the queue called `name`.
    public func getQueueURL(name: String) throws -> String {
        try SQSWire.Reader(action: "GetQueueUrl").required(call("GetQueueUrl", SQSWire.queueName(name), queue: name), "QueueUrl")
    }

    /// Creates the queue (or returns the existing one with the same attributes); returns its URL.
    public func createQueue(name: String, attributes: [String: String] = [:]) throws -> String {
        let answer = try call("CreateQueue", SQSWire.queueName(name, attributes: attributes), queue: name)
        return try SQSWire.Reader(action: "CreateQueue").required(answer, "QueueUrl")
    }

    /// Deletes the queue and its messages.
    public func deleteQueue(queueURL: String) throws {
        _ = try call("DeleteQueue", SQSWire.queue(queueURL), queue: queueURL)
    }

    /// Deletes every message in the queue.
    public func purgeQueue(queueURL: String) throws {
        _ = try call("PurgeQueue", SQSWire.queue(queueURL), queue: queueURL)
    }

    // MARK: Transport

    private func checkBatch(_ ids: [String], action: String) throws {
        guard ids.count <= Self.maxBatchSize else {
            throw SQSError.invalidArgument("\(action) takes at most \(Self.maxBatchSize) entries (got \(ids.count)): split the batch")
        }
        guard Set(ids).count == ids.count, ids.allSatisfy({ !$0.isEmpty }) else {
            throw SQSError.invalidArgument("\(action) entry ids must be distinct and non-empty (got \(ids))")
        }
    }

    /// Sends one action's JSON `body` with retries; returns the parsed answer (`{}` for an empty body).
    /// `keepingUndecodableStrings`: see `JSONValue.parse` (for answers read value by value).
    private func call(_ action: String, _ body: [UInt8], queue: String, extraTime: Double = 0,
                      interruptible: Bool = false, keepingUndecodableStrings: Bool = false) throws -> JSONValue {
        var attempt = 1
        var refreshed = false
        while true {
            do {
                try use(configuration.credentials.current)
                let response = try send(action, headers: headerLines(action: action), body: body, queue: queue,
                                        timeout: configuration.requestTimeout + extraTime, interruptible: interruptible)
                guard !response.body.isEmpty else { return .object([:]) }
                do {
                    return try JSONValue.parse(response.body, keepingUndecodableStrings: keepingUndecodableStrings)
                } catch {
                    throw SQSError.malformedResponse(action: action, detail: "\(error)")
                }
            } catch let error as SQSError where error.isExpiredToken && !refreshed {
                refreshed = true
                _ = try configuration.credentials.refresh(replacing: signing)
            } catch let error as SQSError where error.isRetryable && attempt < configuration.retry.maxAttempts {
                let delay = configuration.retry.delay(beforeRetry: attempt, using: &random)
                retryObserver?(SQSRetry(action: action, attempt: attempt, delay: delay, error: error))
                if interruptible {
                    if interrupt.sleep(seconds: delay) {
                        _ = interrupt.consume()
                        throw SQSError.interrupted
                    }
                } else {
                    Thread.sleep(forTimeInterval: delay)
                }
                attempt += 1
            }
        }
    }

    /// One HTTP exchange; non-2xx answers become `SQSError`.
    private func send(_ action: String, headers: [String], body: [UInt8], queue: String,
                      timeout: Double, interruptible: Bool) throws -> CurlSession.Response {
        let response: CurlSession.Response
        do {
            response = try session.post(url: url, headers: headers, body: body, timeout: timeout, interruptible: interruptible)
        } catch {
            if error.code == CURLE_ABORTED_BY_CALLBACK, interrupt.consume() { throw SQSError.interrupted }
            throw SQSResponseError.fromTransport(error, action: action, endpoint: configuration.endpoint)
        }
        guard (200..<300).contains(response.status) else {
            throw SQSResponseError.fromResponse(response, action: action, queue: queue)
        }
        return response
    }

    /// Signs the next requests with `credentials` when they changed (on a new connection).
    private func use(_ credentials: AWSCredentials) throws {
        guard credentials != signing else { return }
        session = try Self.session(configuration, credentials, interrupt)
        signing = credentials
        tokenHeader = credentials.sessionToken.map { "X-Amz-Security-Token: \($0)" }
    }

    private func headerLines(action: String) -> [String] {
        var lines = ["Content-Type: application/x-amz-json-1.0", "X-Amz-Target: AmazonSQS.\(action)"]
        if let tokenHeader { lines.append(tokenHeader) }
        return lines
    }
}

/// One retry about to happen, reported to `SQSClient.retryObserver`.
public struct SQSRetry: Sendable {
    public var action: String
    /// The attempt that failed (1 for the first).
    public var attempt: Int
    /// Seconds the client sleeps before the next attempt.
    public var delay: Double
    public var error: SQSError
}
