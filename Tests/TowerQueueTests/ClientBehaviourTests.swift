import Foundation
import TowerConfig
import XCTest
@testable import TowerQueue

/// Client behaviour against a scripted local server: decoding, error spellings, retries, interrupts.
final class ClientBehaviourTests: XCTestCase {
    private var server: ScriptedHTTPServer!
    private var queue: String { server.url + "/000000000000/q" }

    override func setUpWithError() throws { server = try ScriptedHTTPServer() }
    override func tearDown() { server.stop() }

    private func client(attempts: Int = 4, endpoint: String? = nil) throws -> SQSClient {
        try SQSClient(configuration: SQSConfiguration(
            region: "us-east-1", endpoint: endpoint ?? server.url, credentials: .init(accessKeyID: "AKID", secretAccessKey: "secret"),
            connectTimeout: 2, requestTimeout: 5, retry: SQSRetryPolicy(maxAttempts: attempts, baseDelay: 0.001, maxDelay: 0.01)))
    }

    private func thrown(by body: () throws -> Void) -> SQSError? {
        do { try body() } catch let error as SQSError { return error } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    func testAnUnreadableMessageIsMarkedAloneAndItsBatchMatesAreRead() throws {
        server.enqueue(.respond(status: 200, body: #"""
        {"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","Body":"fine"},
         {"MessageId":"m2","ReceiptHandle":"r2","Body":"x\ud800y"},
         {"MessageId":"m3","ReceiptHandle":"r3"},
         {"MessageId":"m4","ReceiptHandle":"r4","Body":"ok","MessageAttributes":{"a":{"DataType":"String","StringValue":"\udfff"}}},
         {"MessageId":"m5","ReceiptHandle":"r5","Body":"also fine"}]}
        """#))
        let messages = try client().receiveMessages(queueURL: queue, waitTimeSeconds: 0)
        XCTAssertEqual(messages.map(\.messageID), ["m1", "m2", "m3", "m4", "m5"])
        XCTAssertEqual(messages.map(\.body), ["fine", "x\u{FFFD}y", "", "ok", "also fine"])
        XCTAssertNil(messages[0].unreadable)
        XCTAssertTrue(messages[1].unreadable?.contains("Body: lone high surrogate") ?? false, "\(messages[1])")
        XCTAssertEqual(messages[2].unreadable, "no Body")
        XCTAssertTrue(messages[3].unreadable?.contains("attribute a") ?? false, "\(messages[3])")
        XCTAssertNil(messages[4].unreadable)
    }

    func testReceiveRequestShapeAndDecoding() throws {
        server.enqueue(.respond(status: 200, body: """
        {"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","MD5OfBody":"x","Body":"{\\"a\\":1}",
          "Attributes":{"SentTimestamp":"1700000000123","ApproximateReceiveCount":"3"},
          "MessageAttributes":{"reason":{"DataType":"String","StringValue":"bad json"},"blob":{"DataType":"Binary","BinaryValue":"AAEC"}}},
         {"MessageId":"m2","ReceiptHandle":"r2","Body":"plain"}]}
        """))
        let messages = try client().receiveMessages(queueURL: queue, maxMessages: 7, waitTimeSeconds: 3, visibilityTimeout: 45)
        XCTAssertEqual(messages.map(\.messageID), ["m1", "m2"])
        XCTAssertEqual(messages[0].body, #"{"a":1}"#)
        XCTAssertEqual(messages[0].sentTimestamp, 1_700_000_000_123)
        XCTAssertEqual(messages[0].approximateReceiveCount, 3)
        XCTAssertEqual(messages[0].messageAttributes["reason"], .string("bad json"))
        XCTAssertEqual(messages[0].messageAttributes["blob"]?.binaryValue, [0, 1, 2])
        XCTAssertNil(messages[1].sentTimestamp)

        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.header("X-Amz-Target"), "AmazonSQS.ReceiveMessage")
        XCTAssertEqual(sent.header("Content-Type"), "application/x-amz-json-1.0")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sent.request.body)) as? [String: Any])
        XCTAssertEqual(json["QueueUrl"] as? String, queue)
        XCTAssertEqual(json["MaxNumberOfMessages"] as? Int, 7)
        XCTAssertEqual(json["WaitTimeSeconds"] as? Int, 3)
        XCTAssertEqual(json["VisibilityTimeout"] as? Int, 45)
        XCTAssertEqual(json["MessageSystemAttributeNames"] as? [String], ["SentTimestamp", "ApproximateReceiveCount"])
        XCTAssertEqual(json["MessageAttributeNames"] as? [String], ["All"])
    }

    func testEmptyReceiveAndEmptyBatchesSendNothing() throws {
        let client = try client()
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0), [])
        XCTAssertEqual(try client.deleteMessageBatch(queueURL: queue, entries: []), [])
        XCTAssertEqual(server.requests.count, 1)
    }

    func testDeleteBatchReturnsFailedEntriesFromA200() throws {
        server.enqueue(.respond(status: 200, body: """
        {"Successful":[{"Id":"0"}],"Failed":[{"Id":"1","Code":"ReceiptHandleIsInvalid","Message":"bad handle","SenderFault":true}]}
        """))
        let failures = try client().deleteMessageBatch(queueURL: queue, entries: [.init(id: "0", receiptHandle: "a"), .init(id: "1", receiptHandle: "b")])
        XCTAssertEqual(failures, [SQSBatchFailure(id: "1", code: "ReceiptHandleIsInvalid", message: "bad handle", senderFault: true)])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(server.requests[0].request.body)) as? [String: Any])
        XCTAssertEqual((json["Entries"] as? [[String: String]])?.map { $0["ReceiptHandle"] }, ["a", "b"])
    }

    func testErrorSpellingsOfDifferentServers() throws {
        let client = try client(attempts: 1)
        // AWS: prefixed __type plus the query-protocol header.
        server.enqueue(.respond(status: 400, headers: ["x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender"],
                                body: #"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#))
        // An emulator: bare __type.
        server.enqueue(.respond(status: 400, body: #"{"__type":"QueueDoesNotExist","message":"nope"}"#))
        // Only the header.
        server.enqueue(.respond(status: 400, headers: ["X-Amzn-Query-Error: AWS.SimpleQueueService.NonExistentQueue;Sender"], body: "{}"))
        for _ in 0..<3 {
            let e = thrown { _ = try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0) }
            XCTAssertEqual(e, .queueDoesNotExist(queue: queue))
            XCTAssertEqual(e?.isConfigurationError, true)
        }
        server.enqueue(.respond(status: 400, body: #"{"__type":"com.amazonaws.sqs#InvalidClientTokenId","Message":"bad key"}"#))
        let denied = thrown { _ = try client.getQueueAttributes(queueURL: queue) }
        XCTAssertEqual(denied, .accessDenied(code: "InvalidClientTokenId", message: "bad key"))
        XCTAssertEqual(denied?.isConfigurationError, true)

        server.enqueue(.respond(status: 400, body: #"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"too long"}"#))
        let invalid = thrown { _ = try client.sendMessage(queueURL: queue, body: "x") }
        XCTAssertEqual(invalid, .service(action: "SendMessage", code: "InvalidParameterValue", message: "too long", httpStatus: 400))
        XCTAssertEqual(invalid?.isRetryable, false)
        XCTAssertEqual(invalid?.isConfigurationError, false)

        server.enqueue(.respond(status: 502, body: "<html>Bad Gateway</html>"))
        let proxy = thrown { _ = try client.sendMessage(queueURL: queue, body: "x") }
        XCTAssertEqual(proxy, .unexpectedHTTP(action: "SendMessage", httpStatus: 502, detail: "<html>Bad Gateway</html>"))
        XCTAssertEqual(proxy?.isRetryable, true)

        server.enqueue(.respond(status: 200, body: "not json"))
        guard case .malformedResponse = thrown(by: { _ = try client.sendMessage(queueURL: queue, body: "x") }) else {
            return XCTFail("expected malformedResponse")
        }
    }

    func testServerErrorsAndDroppedConnectionsAreRetried() throws {
        let client = try client(attempts: 4)
        let retries = RetryLog()
        client.retryObserver = { retries.append($0) }
        // The drop comes first: on a fresh connection libcurl reports it (on a reused one libcurl itself
        // retries once on a new connection, which is fine too).
        server.enqueue(.dropConnection,
                       .respond(status: 500, body: #"{"__type":"InternalError","message":"oops"}"#),
                       .respond(status: 400, body: #"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"}"#),
                       .respond(status: 200, body: #"{"Messages":[{"MessageId":"m","ReceiptHandle":"r","Body":"b"}]}"#))
        let messages = try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0)
        XCTAssertEqual(messages.map(\.messageID), ["m"])
        XCTAssertEqual(server.requests.count, 4)
        XCTAssertEqual(retries.events.map(\.attempt), [1, 2, 3])
        XCTAssertEqual(retries.events.map(\.error.code), [nil, "InternalError", "ThrottlingException"])
        guard case .network(_, _, _, true) = retries.events[0].error else { return XCTFail("\(retries.events[0].error)") }
        XCTAssertTrue(retries.events.allSatisfy { $0.delay >= 0 && $0.delay < 0.01 })
    }

    func testRetriesAreBounded() throws {
        let client = try client(attempts: 3)
        server.defaultReply = .respond(status: 400, body: #"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"}"#)
        XCTAssertEqual(thrown { _ = try client.getQueueAttributes(queueURL: queue) }, .throttled(action: "GetQueueAttributes", code: "ThrottlingException"))
        XCTAssertEqual(server.requests.count, 3)
    }

    func testNonRetryableErrorsAreNotRetried() throws {
        let client = try client(attempts: 5)
        server.defaultReply = .respond(status: 400, body: #"{"__type":"ReceiptHandleIsInvalid","message":"stale"}"#)
        XCTAssertEqual(thrown { try client.changeMessageVisibility(queueURL: queue, receiptHandle: "old", visibilityTimeout: 0) }?.code,
                       "ReceiptHandleIsInvalid")
        XCTAssertEqual(server.requests.count, 1)
    }

    func testConnectionRefusedIsARetryableNetworkError() throws {
        let closed = try ScriptedHTTPServer()
        let endpoint = closed.url
        closed.stop()
        let e = thrown { _ = try self.client(attempts: 2, endpoint: endpoint).getQueueAttributes(queueURL: queue) }
        guard case .network(let action, let at, _, let retryable) = e else { return XCTFail("expected network, got \(String(describing: e))") }
        XCTAssertEqual(action, "GetQueueAttributes")
        XCTAssertEqual(at, endpoint)
        XCTAssertTrue(retryable)
    }

    func testAnOversizedResponseIsRefusedWithAClearErrorAndNotRetried() throws {
        let client = try client(attempts: 3)
        let huge = #"{"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","Body":"\#(String(repeating: "x", count: CurlSession.defaultMaxResponseBytes))"}]}"#
        server.enqueue(.respond(status: 200, body: huge))
        let e = thrown { _ = try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0) }
        guard case .network(_, _, let detail, let retryable) = e else { return XCTFail("expected network, got \(String(describing: e))") }
        XCTAssertTrue(detail.contains("larger than \(CurlSession.defaultMaxResponseBytes) bytes"), detail)
        XCTAssertFalse(retryable)
        XCTAssertEqual(server.requests.count, 1)
        // The client stays usable, and an answer within the bound is read whole.
        server.enqueue(.respond(status: 200, body: #"{"Messages":[{"MessageId":"m2","ReceiptHandle":"r2","Body":"\#(String(repeating: "y", count: 1 << 20))"}]}"#))
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0).first?.body.count, 1 << 20)
    }

    func testACredentialAnswerIsBoundedToo() throws {
        server.enqueue(.respond(status: 200, body: String(repeating: "z", count: CredentialHTTP.maxResponseBytes + 1)))
        XCTAssertThrowsError(try CredentialHTTP(provider: "container credentials").exchange("GET", server.url + "/creds")) {
            XCTAssertTrue("\($0)".contains("larger than \(CredentialHTTP.maxResponseBytes) bytes"), "\($0)")
        }
    }

    func testInterruptStopsALongPollPromptlyAndTheClientStaysUsable() throws {
        let client = try client()
        server.enqueue(.delayed(seconds: 20, status: 200, body: "{}"))
        let started = Date()
        let interrupter = client.interrupter
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { interrupter.interrupt() }
        XCTAssertEqual(thrown { _ = try client.receiveMessages(queueURL: queue, waitTimeSeconds: 20) }, .interrupted)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "an interrupted receive must not wait for the long poll")
        // Deletes are never interrupted, and the flag was consumed by the receive.
        XCTAssertEqual(try client.deleteMessageBatch(queueURL: queue, entries: [.init(id: "a", receiptHandle: "r")]), [])
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0), [])
        // Raised while idle: the next receive returns at once without a request.
        let before = server.requests.count
        interrupter.interrupt()
        XCTAssertEqual(thrown { _ = try client.receiveMessages(queueURL: queue) }, .interrupted)
        XCTAssertEqual(server.requests.count, before)
    }

    func testBatchArgumentsAreCheckedBeforeSending() throws {
        let client = try client()
        let eleven = (0..<11).map { SQSSendEntry(id: "\($0)", body: "x") }
        guard case .invalidArgument = thrown(by: { _ = try client.sendMessageBatch(queueURL: queue, entries: eleven) }) else { return XCTFail() }
        let duplicate = [SQSDeleteEntry(id: "a", receiptHandle: "1"), SQSDeleteEntry(id: "a", receiptHandle: "2")]
        guard case .invalidArgument = thrown(by: { _ = try client.deleteMessageBatch(queueURL: queue, entries: duplicate) }) else { return XCTFail() }
        guard case .invalidArgument = thrown(by: { _ = try client.receiveMessages(queueURL: queue, maxMessages: 11) }) else { return XCTFail() }
        XCTAssertEqual(server.requests.count, 0)
    }
}

/// Collects retry events from the observer (called on the client's thread).
private final class RetryLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [SQSRetry] = []
    func append(_ event: SQSRetry) { lock.lock(); stored.append(event); lock.unlock() }
    var events: [SQSRetry] { lock.lock(); defer { lock.unlock() }; return stored }
}
