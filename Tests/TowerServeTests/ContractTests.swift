import Foundation
import TowerTestSupport
import XCTest
@testable import TowerServe

/// docs/openapi.yaml against the real server, and Algolia's official Python client (`algoliasearch` v4, from the
/// venv deploy/local.sh installs) pointed at it through its custom-host setting.
final class ContractTests: XCTestCase {
    func testEveryRouteIsInTheSpec() throws {
        let spec = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        for route in TowerServer.routes {
            XCTAssertTrue(spec.contains("\n  \(route.replacingOccurrences(of: "*", with: "{indexName}")):\n"), "\(route) is documented")
        }
    }

    func testSpecAndAlgoliaClientAgainstTheServer() async throws {
        let f = try ServeFixture("servecontract")
        try await f.start(f.configuration(keys: ["contract-key"]))
        let python = TestEnvironment.packageRoot.appendingPathComponent(".local/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            return XCTFail("no venv at \(python.path): run `bash deploy/local.sh up`")
        }
        let (status, text) = try runCapturingOutput(python, [
            TestEnvironment.packageRoot.appendingPathComponent("Tests/TowerServeTests/contract.py").path,
            "--base", "http://127.0.0.1:\(f.port)", "--key", "contract-key",
            "--spec", TestEnvironment.packageRoot.appendingPathComponent("docs/openapi.yaml").path,
        ])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("ok: algoliasearch recommended-for-you"), text)
    }
}
