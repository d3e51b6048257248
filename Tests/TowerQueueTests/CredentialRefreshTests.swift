import Foundation
import TowerConfig
import TowerTestSupport
import XCTest
@testable import TowerQueue

/// Temporary credentials that expire during a run: refreshed ahead of expiry on the source's thread while the
/// client keeps working against the real queue server; an expired-token answer refreshes and retries once;
/// a failing refresh keeps the old credentials and reports each attempt.
final class CredentialRefreshTests: XCTestCase {
    private var server: CredentialEndpointServer!
    private var queues: [(SQSClient, String)] = []

    override func tearDown() {
        for (client, queue) in queues { try? client.deleteQueue(queueURL: queue) }
        server?.stop()
    }

    /// A client for the local queue server signing with `credentials`, and a fresh queue.
    private func ministack(_ credentials: CredentialSource) throws -> (SQSClient, String) {
        let endpoint = try TestEnvironment.require("AWS_ENDPOINT_URL_SQS")
        let client = try SQSClient(configuration: SQSConfiguration(region: "us-east-1", endpoint: endpoint, credentials: credentials))
        let queue = try client.createQueue(name: "tower-credentials-\(UUID().uuidString.prefix(8).lowercased())")
        queues.append((client, queue))
        return (client, queue)
    }

    /// Sends and receives on `queue` for `seconds`; returns the access keys seen and how many messages went round.
    private func exercise(_ client: SQSClient, _ queue: String, _ credentials: CredentialSource, seconds: Double) throws -> (keys: Set<String>, messages: Int) {
        var keys: Set<String> = [], messages = 0
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            keys.insert(credentials.current.accessKeyID)
            XCTAssertGreaterThan(credentials.current.expiration ?? .distantPast, Date(), "the credentials in use never expire")
            _ = try client.sendMessage(queueURL: queue, body: "m\(messages)")
            for m in try client.receiveMessages(queueURL: queue, waitTimeSeconds: 1) {
                try client.deleteMessage(queueURL: queue, receiptHandle: m.receiptHandle)
                messages += 1
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return (keys, messages)
    }

    private func source(_ values: [String: String]) -> ConfigSource {
        ConfigSource(values: ["HOME": FileManager.default.temporaryDirectory.path, "AWS_EC2_METADATA_DISABLED": "true"].merging(values) { $1 })
    }

    func testInstanceMetadataCredentialsExpireAndAreRefreshedDuringARun() throws {
        server = try CredentialEndpointServer(lifetime: 3)
        let credentials = try CredentialSource(source(["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url]),
                                               region: "us-east-1")
        XCTAssertTrue(credentials.provider.name.hasPrefix("EC2 instance metadata"))
        let (client, queue) = try ministack(credentials)
        let run = try exercise(client, queue, credentials, seconds: 7)
        XCTAssertGreaterThanOrEqual(credentials.refreshes, 3, "3 s credentials refresh every 1.5 s")
        XCTAssertGreaterThanOrEqual(run.keys.count, 3, "the client signed with each new set: \(run.keys)")
        XCTAssertGreaterThan(run.messages, 5)
        let puts = server.http.requests.filter { $0.request.method == "PUT" }
        XCTAssertEqual(puts.count, credentials.refreshes + 1, "a fresh IMDSv2 session token per fetch")
    }

    func testWebIdentityCredentialsExpireAndAreRefreshedDuringARun() throws {
        server = try CredentialEndpointServer(lifetime: 3)
        let token = FileManager.default.temporaryDirectory.appendingPathComponent("tower-token-\(UUID().uuidString)")
        try "first-token".write(to: token, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: token) }
        let credentials = try CredentialSource(source([
            "AWS_WEB_IDENTITY_TOKEN_FILE": token.path, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/tower",
            "AWS_ROLE_SESSION_NAME": "tower-test", "AWS_ENDPOINT_URL_STS": server.url,
        ]), region: "us-east-1")
        XCTAssertEqual(credentials.provider.name, "web identity (arn:aws:iam::123456789012:role/tower)")
        let (client, queue) = try ministack(credentials)
        try "rotated-token".write(to: token, atomically: true, encoding: .utf8)
        let run = try exercise(client, queue, credentials, seconds: 6)
        XCTAssertGreaterThanOrEqual(credentials.refreshes, 2)
        XCTAssertGreaterThanOrEqual(run.keys.count, 3, "\(run.keys)")
        let forms = server.http.requests.map { String(decoding: $0.request.body, as: UTF8.self) }
        XCTAssertTrue(forms[0].contains("WebIdentityToken=first-token") && forms[0].contains("RoleSessionName=tower-test"), forms[0])
        XCTAssertTrue(forms.last!.contains("WebIdentityToken=rotated-token"), "the token file is read on every refresh")
        XCTAssertTrue(server.http.requests.allSatisfy { $0.header("Authorization") == nil }, "AssumeRoleWithWebIdentity is unsigned")
    }

    func testExpiredTokenAnswerRefreshesAndRetriesOnce() throws {
        server = try CredentialEndpointServer(lifetime: 3600)
        let credentials = try CredentialSource(source(["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url]),
                                               region: "us-east-1")
        let sqs = try ScriptedHTTPServer()
        defer { sqs.stop() }
        let expired = ScriptedHTTPServer.Reply.respond(status: 400, headers: ["x-amzn-query-error: ExpiredToken;Sender"],
                                                       body: #"{"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"}"#)
        sqs.enqueue(expired, .respond(status: 200, body: #"{"MessageId":"m-1"}"#))
        let client = try SQSClient(configuration: SQSConfiguration(region: "us-east-1", endpoint: sqs.url, credentials: credentials))
        XCTAssertEqual(try client.sendMessage(queueURL: sqs.url + "/1/q", body: "x"), "m-1")
        let keys = sqs.requests.map { $0.header("Authorization")?.components(separatedBy: "Credential=").last?.prefix { $0 != "/" } ?? "" }
        XCTAssertEqual(keys, ["ASIATEST1", "ASIATEST2"], "the retry signs with the refreshed credentials")

        sqs.enqueue(expired, expired)
        XCTAssertThrowsError(try client.sendMessage(queueURL: sqs.url + "/1/q", body: "x")) {
            XCTAssertEqual(($0 as? SQSError)?.isExpiredToken, true, "\($0)")
        }
        XCTAssertEqual(sqs.requests.count, 4, "one retry only")
    }

    func testFailedRefreshKeepsTheOldCredentialsAndReportsEachAttemptWithBackoff() throws {
        server = try CredentialEndpointServer(lifetime: 4)
        let resolved = try CredentialChain.resolve(source(["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url]),
                                                   region: nil)
        server.failing = true
        let events = EventLog()
        let credentials = CredentialSource(provider: resolved.provider, credentials: resolved.credentials)
        credentials.observer = { events.append($0) }
        Thread.sleep(forTimeInterval: 6)
        XCTAssertEqual(credentials.current, resolved.credentials, "the old credentials stay until they expire")
        let failures = events.all.compactMap { event -> (Double, Bool, String)? in
            guard case .failed(_, let error, let retryIn, let expired) = event else { return nil }
            return (retryIn, expired, "\(error)")
        }
        XCTAssertGreaterThanOrEqual(failures.count, 2, "one report per attempt")
        XCTAssertTrue(zip(failures, failures.dropFirst()).allSatisfy { $0.0 < $1.0 }, "backoff grows: \(failures.map(\.0))")
        XCTAssertEqual(failures.first?.1, false, "the first failures come before expiry")
        XCTAssertEqual(failures.last?.1, true, "later ones say the credentials expired")
        XCTAssertTrue(failures.allSatisfy { $0.2.contains("HTTP 500") && !$0.2.contains(CredentialEndpointServer.secret(1)) })
        server.failing = false
        Thread.sleep(forTimeInterval: 4.5)
        XCTAssertNotEqual(credentials.current.accessKeyID, resolved.credentials.accessKeyID, "recovers once the endpoint does")
        XCTAssertFalse("\(credentials)".contains("secret-value"))
    }
}

/// Refresh events collected from the source's thread.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [CredentialRefreshEvent] = []
    func append(_ event: CredentialRefreshEvent) { lock.withLock { events.append(event) } }
    var all: [CredentialRefreshEvent] { lock.withLock { events } }
}
