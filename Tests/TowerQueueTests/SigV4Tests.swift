import Foundation
import XCTest
@testable import TowerQueue

/// Proves that the Authorization header libcurl produces is the one AWS expects: against AWS's
/// published SigV4 test-suite values, and against an independent implementation for real requests.
final class SigV4Tests: XCTestCase {
    /// AWS SigV4 test suite credentials and time (aws-sig-v4-test-suite: get-vanilla, post-vanilla, …).
    private let suite = ReferenceSigV4(accessKeyID: "AKIDEXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       region: "us-east-1", service: "service")
    private let suiteDate = "20150830T123600Z"
    private let suiteHeaders = [(name: "Host", value: "example.amazonaws.com"), (name: "X-Amz-Date", value: "20150830T123600Z")]

    func testSHA256AndHMACKnownAnswers() {
        XCTAssertEqual(TestCrypto.hex(TestCrypto.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(TestCrypto.hex(TestCrypto.hash(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(TestCrypto.hex(TestCrypto.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // RFC 4231 test cases 2 and 6 (a key longer than the block size).
        XCTAssertEqual(TestCrypto.hex(TestCrypto.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(TestCrypto.hex(TestCrypto.hmac(key: [UInt8](repeating: 0xaa, count: 131),
                                              message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testReferenceSignerReproducesAWSSuite() {
        let get = ReferenceSigV4.Request(method: "GET", path: "/", headers: suiteHeaders)
        XCTAssertEqual(suite.signature(get, signedHeaders: ["host", "x-amz-date"], amzDate: suiteDate),
                       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        let post = ReferenceSigV4.Request(method: "POST", path: "/", headers: suiteHeaders)
        XCTAssertEqual(suite.signature(post, signedHeaders: ["host", "x-amz-date"], amzDate: suiteDate),
                       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        let keySort = ReferenceSigV4.Request(method: "POST", path: "/", headers: suiteHeaders + [(name: "My-Header1", value: "value1")])
        XCTAssertEqual(suite.signature(keySort, signedHeaders: ["host", "my-header1", "x-amz-date"], amzDate: suiteDate),
                       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c")
    }

    /// libcurl signs with the current time unless the request carries X-Amz-Date, so the suite's fixed
    /// date can be given as a header; Host is given as a header too (libcurl signs the Host it sends).
    func testLibcurlProducesAWSSuiteAuthorization() throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let session = try CurlSession(signing: .init(region: "us-east-1", service: "service",
                                                     credentials: .init(accessKeyID: suite.accessKeyID, secretAccessKey: suite.secret)),
                                      connectTimeout: 2, caBundle: nil)
        let cases: [(extra: [String], expected: String)] = [
            ([], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
            (["My-Header1: value1"], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        ]
        for (extra, expected) in cases {
            let response = try session.post(url: server.url + "/", headers: ["Host: example.amazonaws.com", "X-Amz-Date: \(suiteDate)"] + extra,
                                            body: [], timeout: 5, interruptible: false)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(server.requests.last?.header("Authorization"), expected)
        }
    }

    /// A real SQS request (current time, JSON body, session token): the signature libcurl sent equals the
    /// one computed independently from the raw request a server received, over the expected header set.
    func testClientSignaturesVerifyIndependently() throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let credentials = AWSCredentials(accessKeyID: "AKIDTOWERTEST", secretAccessKey: "s3cr3t/Key+With=Symbols", sessionToken: "FQoGZXIvYXdzEJr//token")
        let client = try SQSClient(configuration: SQSConfiguration(region: "eu-central-1", endpoint: server.url, credentials: credentials))
        let queue = server.url + "/000000000000/signing"
        server.enqueue(.respond(status: 200, body: #"{"MessageId":"m-1"}"#), .respond(status: 200, body: "{}"))
        _ = try client.sendMessage(queueURL: queue, body: #"{"customer_id":1,"note":"ünïcode & spaces"}"#)
        _ = try client.receiveMessages(queueURL: queue, waitTimeSeconds: 0)

        let requests = server.requests
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(Set(requests.map(\.connection)).count, 1, "both requests should reuse one kept-alive connection")
        let reference = ReferenceSigV4(accessKeyID: credentials.accessKeyID, secret: credentials.secretAccessKey,
                                       region: "eu-central-1", service: "sqs")
        for recorded in requests {
            let request = recorded.request
            XCTAssertEqual(request.method, "POST")
            XCTAssertEqual(request.path, "/")
            XCTAssertEqual(request.values("X-Amz-Security-Token"), [credentials.sessionToken!])
            let amzDate = try XCTUnwrap(recorded.header("X-Amz-Date"))
            let authorization = try XCTUnwrap(recorded.header("Authorization"))
            let signedHeaders = try XCTUnwrap(authorization.components(separatedBy: "SignedHeaders=").last?
                .components(separatedBy: ",").first).components(separatedBy: ";")
            XCTAssertEqual(Set(signedHeaders), ["content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"])
            XCTAssertEqual(authorization, reference.authorization(request, signedHeaders: signedHeaders, amzDate: amzDate))
            // The check can fail: another secret or a changed body gives another signature.
            let wrongKey = ReferenceSigV4(accessKeyID: credentials.accessKeyID, secret: "other", region: "eu-central-1", service: "sqs")
            XCTAssertNotEqual(authorization, wrongKey.authorization(request, signedHeaders: signedHeaders, amzDate: amzDate))
            var tampered = request
            tampered.body += [0x20]
            XCTAssertNotEqual(authorization, reference.authorization(tampered, signedHeaders: signedHeaders, amzDate: amzDate))
            // The date is now (UTC) and the scope names the region and service.
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let signedAt = try XCTUnwrap(formatter.date(from: amzDate))
            XCTAssertLessThan(abs(signedAt.timeIntervalSinceNow), 300)
            XCTAssertTrue(authorization.contains("Credential=AKIDTOWERTEST/\(amzDate.prefix(8))/eu-central-1/sqs/aws4_request"))
        }
    }
}
