import TowerConfig
import XCTest
@testable import TowerQueue

final class ConfigurationTests: XCTestCase {
    private let base = ["AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "very-secret"]

    private func configuration(_ values: [String: String]) throws -> SQSConfiguration {
        try SQSConfiguration(ConfigSource(values: values))
    }

    func testDefaultsAndOverrides() throws {
        let plain = try configuration(base)
        XCTAssertEqual(plain.endpoint, "https://sqs.eu-west-1.amazonaws.com")
        XCTAssertEqual(plain.connectTimeout, 3)
        XCTAssertEqual(plain.requestTimeout, 10)
        XCTAssertEqual(plain.retry.maxAttempts, 4)
        XCTAssertNil(plain.credentials.current.sessionToken)
        XCTAssertEqual(SQSConfiguration.defaultEndpoint(region: "cn-north-1"), "https://sqs.cn-north-1.amazonaws.com.cn")

        var values = base
        values["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:45660/"
        values["AWS_SESSION_TOKEN"] = "tok"
        values["AWS_MAX_ATTEMPTS"] = "2"
        values["TOWER_SQS_CONNECT_TIMEOUT"] = "1s"
        values["TOWER_SQS_REQUEST_TIMEOUT"] = "1m"
        let custom = try configuration(values)
        XCTAssertEqual(custom.endpoint, "http://127.0.0.1:45660")
        XCTAssertEqual(custom.credentials.current.sessionToken, "tok")
        XCTAssertEqual(custom.retry.maxAttempts, 2)
        XCTAssertEqual(custom.connectTimeout, 1)
        XCTAssertEqual(custom.requestTimeout, 60)
    }

    func testConfigurationErrorsAreDistinguishable() {
        var noSecret = base
        noSecret["AWS_SECRET_ACCESS_KEY"] = nil
        XCTAssertThrowsError(try configuration(noSecret)) {
            guard case .providerFailed("environment", _) = $0 as? CredentialError else { return XCTFail("\($0)") }
        }

        var noRegion = base
        noRegion["AWS_REGION"] = nil
        XCTAssertThrowsError(try configuration(noRegion)) {
            guard case .missing(let key, _) = $0 as? ConfigError else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "AWS_REGION")
        }
        for bad in ["ftp://host", "localhost:4566", "http://", "http://user:pw@host"] {
            var values = base
            values["AWS_ENDPOINT_URL_SQS"] = bad
            XCTAssertThrowsError(try configuration(values), bad) {
                guard case .invalid(let key, let value, _) = $0 as? ConfigError else { return XCTFail("\($0)") }
                XCTAssertEqual(key, "AWS_ENDPOINT_URL_SQS")
                XCTAssertFalse(value.contains("pw"), "credentials in a URL must not be echoed")
            }
        }
        XCTAssertThrowsError(try SQSConfiguration.requireQueueURL(ConfigSource(values: [:])))
        XCTAssertThrowsError(try SQSConfiguration.requireQueueURL(ConfigSource(values: ["TOWER_QUEUE_URL": "tower-events"])))
        XCTAssertEqual(try SQSConfiguration.requireQueueURL(ConfigSource(values: ["TOWER_QUEUE_URL": "http://h:1/0/q"])), "http://h:1/0/q")
    }

    func testPlainHTTPIsRefusedForRemoteEndpointsUnlessAllowed() throws {
        for local in ["http://127.0.0.1:45660", "http://localhost:4566/", "http://[::1]:4566", "http://127.8.9.10", "https://sqs.example.com"] {
            var values = base
            values["AWS_ENDPOINT_URL_SQS"] = local
            XCTAssertNoThrow(try configuration(values), local)
        }
        for remote in ["http://sqs.example.com", "http://10.0.0.5:4566", "http://[2001:db8::1]:4566", "http://128.0.0.1", "http://localhost.example.com"] {
            var values = base
            values["AWS_ENDPOINT_URL_SQS"] = remote
            XCTAssertThrowsError(try configuration(values), remote) {
                guard case .invalid(let key, _, let expected) = $0 as? ConfigError else { return XCTFail("\($0)") }
                XCTAssertEqual(key, "AWS_ENDPOINT_URL_SQS")
                XCTAssertTrue(expected.contains("TOWER_ALLOW_INSECURE_QUEUE=1"), expected)
            }
            values["TOWER_ALLOW_INSECURE_QUEUE"] = "1"
            XCTAssertEqual(try configuration(values).endpoint, remote, "explicitly allowed")
        }
    }

    func testSecretsStayOutOfDescriptions() throws {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "very-secret", sessionToken: "session-tok")
        XCTAssertFalse("\(credentials)".contains("very-secret"))
        XCTAssertFalse("\(credentials)".contains("session-tok"))
    }

    func testFullJitterBackoff() {
        let policy = SQSRetryPolicy(maxAttempts: 6, baseDelay: 0.1, maxDelay: 1)
        XCTAssertEqual((1...6).map { policy.ceiling(beforeRetry: $0) }, [0.1, 0.2, 0.4, 0.8, 1, 1])
        var generator = SystemRandomNumberGenerator()
        let draws = (0..<500).map { _ in policy.delay(beforeRetry: 3, using: &generator) }
        XCTAssertTrue(draws.allSatisfy { $0 >= 0 && $0 < 0.4 })
        XCTAssertLessThan(draws.min()!, 0.1, "full jitter spreads delays down to zero")
        XCTAssertGreaterThan(draws.max()!, 0.3)
        XCTAssertEqual(SQSRetryPolicy(maxAttempts: 0).maxAttempts, 1)
    }
}
