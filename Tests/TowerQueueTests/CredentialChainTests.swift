import Foundation
import TowerConfig
import TowerTestSupport
import XCTest
@testable import TowerQueue

/// The credential provider chain: order, each provider against the documented wire format, clear errors,
/// no secrets in any message.
final class CredentialChainTests: XCTestCase {
    private var directory: URL!
    private var server: CredentialEndpointServer!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tower-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        server = try CredentialEndpointServer(lifetime: 3600)
    }

    override func tearDown() {
        server?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A scratch HOME (no real ~/.aws), instance metadata off, plus `values`.
    private func source(_ values: [String: String]) -> ConfigSource {
        ConfigSource(values: ["HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true"].merging(values) { _, new in new })
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func providerName(_ source: ConfigSource) throws -> String {
        try CredentialChain.resolve(source, region: "us-east-1").provider.name
    }

    func testOrderOfPrecedence() throws {
        let credentials = try write("credentials", "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n")
        let token = try write("token", "eyJ.web.identity\n")
        var all = [
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
            "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/tower", "AWS_ENDPOINT_URL_STS": server.url,
            "AWS_SHARED_CREDENTIALS_FILE": credentials,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/ecs/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialEndpointServer.containerAuthorization,
            "AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url,
        ]
        XCTAssertEqual(try providerName(source(all)), "environment (AWS_ACCESS_KEY_ID)")
        all["AWS_ACCESS_KEY_ID"] = nil
        all["AWS_SECRET_ACCESS_KEY"] = nil
        XCTAssertTrue(try providerName(source(all)).hasPrefix("web identity"))
        all["AWS_WEB_IDENTITY_TOKEN_FILE"] = nil
        XCTAssertTrue(try providerName(source(all)).hasPrefix("profile default"))
        all["AWS_SHARED_CREDENTIALS_FILE"] = nil
        XCTAssertTrue(try providerName(source(all)).hasPrefix("container credentials"))
        all["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = nil
        XCTAssertTrue(try providerName(source(all)).hasPrefix("EC2 instance metadata"))
        all["AWS_EC2_METADATA_DISABLED"] = "true"
        XCTAssertThrowsError(try providerName(source(all))) { error in
            guard case .noCredentials(let tried) = error as? CredentialError else { return XCTFail("\(error)") }
            XCTAssertEqual(tried.count, 5, "\(tried)")
            XCTAssertTrue("\(error)".contains("AWS_EC2_METADATA_DISABLED=true"), "\(error)")
        }
    }

    func testProfilesFromBothFilesWithRegionAndEndpointOverrides() throws {
        let credentials = try write("creds", """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default-secret

            [ops]
            aws_access_key_id=AKIAOPS
            aws_secret_access_key=ops-secret
            aws_session_token = ops-token
            """)
        let config = try write("config", """
            [default]
            region = eu-west-1
            [profile ops]
            region = ap-southeast-2
            s3 =
              max_concurrent_requests = 4
            [sso-session corp]
            sso_region = us-east-1
            """)
        let base = ["AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": config]
        let ops = try SQSConfiguration(source(base.merging(["AWS_PROFILE": "ops"]) { $1 }))
        XCTAssertEqual(ops.region, "ap-southeast-2", "region from the profile")
        XCTAssertEqual(ops.endpoint, "https://sqs.ap-southeast-2.amazonaws.com")
        XCTAssertEqual(ops.credentials.current, AWSCredentials(accessKeyID: "AKIAOPS", secretAccessKey: "ops-secret", sessionToken: "ops-token"))
        XCTAssertTrue("\(ops.credentials)".contains("profile ops"), "\(ops.credentials)")
        XCTAssertFalse("\(ops.credentials)".contains("ops-secret"))

        let plain = try SQSConfiguration(source(base.merging(["AWS_REGION": "us-west-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"]) { $1 }))
        XCTAssertEqual(plain.region, "us-west-2", "AWS_REGION wins over the profile")
        XCTAssertEqual(plain.endpoint, "http://127.0.0.1:1", "AWS_ENDPOINT_URL applies to every service")
        XCTAssertEqual(plain.credentials.current.accessKeyID, "AKIADEFAULT")
        let specific = try SQSConfiguration(source(base.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:2"]) { $1 }))
        XCTAssertEqual(specific.endpoint, "http://127.0.0.1:2", "the service's own variable wins")
        XCTAssertEqual(specific.region, "eu-west-1")
        let ignored = try SQSConfiguration(source(base.merging(["AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 }))
        XCTAssertEqual(ignored.endpoint, "https://sqs.eu-west-1.amazonaws.com")
    }

    func testCredentialProcess() throws {
        let config = try write("config", """
            [profile tool]
            region = us-east-1
            credential_process = printf '{"Version":1,"AccessKeyId":"AKIAPROC","SecretAccessKey":"proc-secret","SessionToken":"proc-token","Expiration":"2099-01-01T00:00:00Z"}'
            [profile broken]
            credential_process = sh -c 'echo proc-secret-leak >&2; exit 3'
            """)
        let resolved = try CredentialChain.resolve(source(["AWS_CONFIG_FILE": config, "AWS_PROFILE": "tool"]), region: nil)
        XCTAssertEqual(resolved.credentials.accessKeyID, "AKIAPROC")
        XCTAssertEqual(resolved.credentials.sessionToken, "proc-token")
        XCTAssertEqual(resolved.credentials.expiration, AWSTime.parse("2099-01-01T00:00:00Z"))
        XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_CONFIG_FILE": config, "AWS_PROFILE": "broken"]), region: nil)) {
            XCTAssertTrue("\($0)".contains("exited with status 3"), "\($0)")
            XCTAssertFalse("\($0)".contains("leak"))
        }
    }

    func testContainerCredentialsSendTheAuthorizationTokenFromItsFile() throws {
        let tokenFile = try write("auth", CredentialEndpointServer.containerAuthorization + "\n")
        let resolved = try CredentialChain.resolve(source([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/ecs/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
        ]), region: nil)
        XCTAssertEqual(resolved.credentials.accessKeyID, "ASIATEST1")
        XCTAssertNotNil(resolved.credentials.expiration)
        XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/ecs/credentials"]), region: nil)) {
            XCTAssertTrue("\($0)".contains("HTTP 401"), "without the token the endpoint refuses: \($0)")
        }
        XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"]), region: nil)) {
            XCTAssertTrue("\($0)".contains("loopback"), "\($0)")
        }
    }

    func testInstanceMetadataUsesIMDSv2Tokens() throws {
        let resolved = try CredentialChain.resolve(source(["AWS_EC2_METADATA_DISABLED": "false",
                                                           "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url + "/"]), region: nil)
        XCTAssertEqual(resolved.credentials.accessKeyID, "ASIATEST1")
        let requests = server.http.requests.map(\.request)
        XCTAssertEqual(requests.map { "\($0.method) \($0.path)" }, [
            "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/tower-role",
        ])
        XCTAssertEqual(requests[0].values("X-aws-ec2-metadata-token-ttl-seconds"), ["21600"])
        XCTAssertTrue(requests.dropFirst().allSatisfy { $0.values("X-aws-ec2-metadata-token") == [CredentialEndpointServer.imdsToken] })
    }

    func testMalformedFilesAndAnswersGiveClearErrorsWithoutSecrets() throws {
        let cases: [(String, String)] = [
            ("[default]\naws_access_key_id = AKIA\nthis line has no equals sign super-secret-value\n", "line 3: expected key = value"),
            ("[default\naws_access_key_id = AKIA\n", "line 1: a section header without its closing ]"),
            ("aws_secret_access_key = super-secret-value\n", "before any [section]"),
            ("[default]\naws_access_key_id = AKIA\n", "aws_access_key_id without aws_secret_access_key"),
        ]
        for (text, expected) in cases {
            let path = try write("bad-\(UUID().uuidString)", text)
            XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_SHARED_CREDENTIALS_FILE": path]), region: nil), expected) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)")
                XCTAssertFalse("\($0)".contains("super-secret-value"), "\($0)")
            }
        }
        XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_PROFILE": "absent"]), region: nil)) {
            XCTAssertTrue("\($0)".contains("AWS profile absent: AWS_PROFILE names it"), "\($0)")
        }
        XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_ACCESS_KEY_ID": "AKIA"]), region: nil)) {
            XCTAssertTrue("\($0)".contains("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "\($0)")
        }
        XCTAssertThrowsError(try CredentialHTTP.credentials(json: #"{"AccessKeyId":"AKIA","SecretAccessKey":"super-secret-value","Expiration":"soon"}"#, provider: "p")) {
            XCTAssertTrue("\($0)".contains("Expiration soon is not an ISO-8601 time"), "\($0)")
            XCTAssertFalse("\($0)".contains("super-secret-value"))
        }
        XCTAssertThrowsError(try CredentialHTTP.credentials(json: "<html>", provider: "p")) { XCTAssertTrue("\($0)".contains("not a JSON object")) }
        XCTAssertThrowsError(try CredentialHTTP.credentials(json: #"{"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"}"#, provider: "p")) {
            XCTAssertTrue("\($0)".contains("AssumeRoleUnauthorizedAccess: denied"), "\($0)")
        }
        // Instance metadata that is not there: the chain says so and gives up within its short timeouts.
        server.stop()
        let started = Date()
        XCTAssertThrowsError(try CredentialChain.resolve(source(["AWS_EC2_METADATA_DISABLED": "false",
                                                                 "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url]), region: nil)) {
            guard case .noCredentials(let tried) = $0 as? CredentialError else { return XCTFail("\($0)") }
            XCTAssertTrue(tried.last?.hasPrefix("EC2 instance metadata (PUT") == true, "\(tried)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testRefreshDelay() {
        let now = Date()
        let hour = now.addingTimeInterval(3600)
        XCTAssertEqual(CredentialSource.refreshDelay(expiration: hour, refreshAhead: 300, jitter: 0, now: now), 3300)
        XCTAssertEqual(CredentialSource.refreshDelay(expiration: hour, refreshAhead: 300, jitter: 60, now: now, draw: 0.5), 3270)
        XCTAssertEqual(CredentialSource.refreshDelay(expiration: now.addingTimeInterval(10), refreshAhead: 300, jitter: 60, now: now), 5,
                       "short-lived credentials refresh after half their life")
        XCTAssertEqual(CredentialSource.refreshDelay(expiration: now.addingTimeInterval(-5), refreshAhead: 300, jitter: 60, now: now), 0.5)
    }
}
