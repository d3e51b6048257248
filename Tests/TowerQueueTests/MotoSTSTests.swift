import Foundation
import TowerConfig
import TowerTestSupport
import XCTest
@testable import TowerQueue

/// The STS-backed providers against moto's server (a real STS implementation, installed into .local/venv by
/// deploy/local.sh), with the credentials then used on the local queue server.
final class MotoSTSTests: XCTestCase {
    private var moto: Process?
    private var endpoint = ""
    private var directory: URL!

    override func setUpWithError() throws {
        let binary = TestEnvironment.packageRoot.appendingPathComponent(".local/venv/bin/moto_server").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("no \(binary): run `deploy/local.sh up`, which installs moto's server")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tower-moto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for port in 18_640...18_699 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["-H", "127.0.0.1", "-p", String(port)]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            endpoint = "http://127.0.0.1:\(port)"
            if waitUntilListening(p) { moto = p; return }
            p.terminate()
            p.waitUntilExit()
        }
        XCTFail("moto_server did not start on any port of 18640–18699")
    }

    override func tearDown() {
        if let moto { moto.terminate(); moto.waitUntilExit() }
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func waitUntilListening(_ p: Process) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, p.isRunning {
            if let answer = try? CredentialHTTP(provider: "moto", connectTimeout: 0.5, timeout: 1).exchange("GET", endpoint + "/moto-api/"),
               answer.status < 500 { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    private func source(_ values: [String: String]) -> ConfigSource {
        ConfigSource(values: ["HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_STS": endpoint]
            .merging(values) { $1 })
    }

    /// Proves `credentials` work on the local queue server.
    private func assertQueueWorks(_ credentials: CredentialSource) throws {
        let client = try SQSClient(configuration: SQSConfiguration(region: "us-east-1", endpoint: TestEnvironment.require("AWS_ENDPOINT_URL_SQS"),
                                                                   credentials: credentials))
        let queue = try client.createQueue(name: "tower-moto-\(UUID().uuidString.prefix(8).lowercased())")
        defer { try? client.deleteQueue(queueURL: queue) }
        _ = try client.sendMessage(queueURL: queue, body: "hello")
        XCTAssertEqual(try client.receiveMessages(queueURL: queue, waitTimeSeconds: 1).map(\.body), ["hello"])
    }

    func testWebIdentityAgainstMotoIsRefreshedAheadOfExpiry() throws {
        let token = directory.appendingPathComponent("token")
        try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dG93ZXI6dG93ZXJkIn0.c2ln".write(to: token, atomically: true, encoding: .utf8)
        let settings = source(["AWS_WEB_IDENTITY_TOKEN_FILE": token.path, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/towerd"])
        let (provider, first) = try CredentialChain.resolve(settings, region: "us-east-1")
        XCTAssertTrue(provider.name.hasPrefix("web identity"))
        let lifetime = try XCTUnwrap(first.expiration).timeIntervalSinceNow
        XCTAssertGreaterThan(lifetime, 600, "STS's default session lasts an hour")
        XCTAssertNotNil(first.sessionToken)
        // Refresh as if 2 s before the 5-minute mark.
        let credentials = CredentialSource(provider: provider, credentials: first, refreshAhead: lifetime - 2, refreshJitter: 0.5)
        let deadline = Date().addingTimeInterval(15)
        while credentials.refreshes == 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertGreaterThanOrEqual(credentials.refreshes, 1, "refreshed in the background")
        XCTAssertNotEqual(credentials.current.accessKeyID, first.accessKeyID)
        try assertQueueWorks(credentials)
    }

    func testProfileAssumesARoleWithItsSourceProfile() throws {
        let config = directory.appendingPathComponent("config")
        try """
            [profile base]
            aws_access_key_id = AKIAIOSFODNN7EXAMPLE
            aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
            [profile towerd]
            role_arn = arn:aws:iam::123456789012:role/towerd
            source_profile = base
            role_session_name = towerd-test
            region = eu-central-1
            """.write(to: config, atomically: true, encoding: .utf8)
        let settings = source(["AWS_CONFIG_FILE": config.path, "AWS_PROFILE": "towerd"])
        let configuration = try SQSConfiguration(settings)
        XCTAssertEqual(configuration.region, "eu-central-1")
        let credentials = configuration.credentials.current
        XCTAssertTrue(configuration.credentials.provider.name.hasPrefix("profile towerd"))
        XCTAssertNotEqual(credentials.accessKeyID, "AKIAIOSFODNN7EXAMPLE", "temporary credentials of the role")
        XCTAssertNotNil(credentials.sessionToken)
        XCTAssertNotNil(credentials.expiration)
        try assertQueueWorks(configuration.credentials)

        try """
            [profile towerd]
            role_arn = arn:aws:iam::123456789012:role/towerd
            """.write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SQSConfiguration(ConfigSource(values: settings.values.merging(["AWS_REGION": "us-east-1"]) { $1 }))) {
            XCTAssertTrue("\($0)".contains("role_arn needs source_profile"), "\($0)")
        }
    }
}
