import Foundation
import TowerConfig
import XCTest
@testable import TowerServe

/// API keys, the per-key rate limit, CORS and the configuration rules for access.
final class AccessTests: XCTestCase {
    func testKeysRateLimitAndCORS() async throws {
        let f = try ServeFixture("serveaccess")
        let key = "sk-test-4f9a1c"
        try await f.start(f.configuration(keys: [key, "other-key"], rate: 1, burst: 3, cors: ["https://shop.example"]))

        do { let reply = try await f.get("/health"); XCTAssertEqual(reply.status, 200, "health needs no key") }
        let missing = try await f.get("/v1/products/1")
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.object["code"] as? String, "missing_api_key")
        do { let reply = try await f.get("/v1/products/1", headers: ["x-algolia-api-key": "wrong"]); XCTAssertEqual(reply.status, 403) }
        do { let reply = try await f.get("/v1/products/1", headers: ["Authorization": "Bearer \(key)"]); XCTAssertEqual(reply.status, 200) }
        do { let reply = try await f.get("/v1/products/1", headers: ["x-algolia-api-key": key, "x-algolia-application-id": "tower"]); XCTAssertEqual(reply.status, 200) }
        // Burst 3, 1/s: the third call passes, the fourth is limited; the other key has its own bucket.
        do { let reply = try await f.get("/v1/products/1", headers: ["x-algolia-api-key": key]); XCTAssertEqual(reply.status, 200) }
        let limited = try await f.get("/v1/products/1", headers: ["x-algolia-api-key": key])
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.header("Retry-After"), "1")
        do { let reply = try await f.get("/v1/products/1", headers: ["x-algolia-api-key": "other-key"]); XCTAssertEqual(reply.status, 200) }

        let preflight = try await f.send("OPTIONS", "/1/indexes/*/recommendations",
                                         headers: ["Origin": "https://shop.example", "Access-Control-Request-Method": "POST"])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.header("Access-Control-Allow-Origin"), "https://shop.example")
        XCTAssertTrue(preflight.header("Access-Control-Allow-Headers")?.contains("x-algolia-api-key") ?? false)
        let denied = try await f.send("OPTIONS", "/v1/products/1", headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(denied.status, 403)
        let cross = try await f.get("/v1/products/1", headers: ["Origin": "https://shop.example", "x-algolia-api-key": "other-key"])
        XCTAssertEqual(cross.header("Access-Control-Allow-Origin"), "https://shop.example")
        let foreign = try await f.get("/v1/products/1", headers: ["Origin": "https://evil.example", "x-algolia-api-key": "other-key"])
        XCTAssertNil(foreign.header("Access-Control-Allow-Origin"))

        let lines = f.logLines.all
        XCTAssertGreaterThan(lines.count, 10)
        XCTAssertFalse(lines.contains { $0.contains(key) || $0.contains("other-key") || $0.contains(APIKeys.digest(key)) },
                       "no key in any log line")
    }

    func testConfigurationRefusesToStartWithoutKeysExceptLoopbackWithAuthOff() throws {
        let base = ["TOWER_READONLY_DATABASE_URL": "postgres://x"]
        XCTAssertThrowsError(try ServeConfiguration(ConfigSource(values: base))) { error in
            XCTAssertTrue("\(error)".contains("TOWER_API_KEYS"))
        }
        XCTAssertNil(try ServeConfiguration(ConfigSource(values: base.merging(["TOWER_API_AUTH": "off"]) { $1 })).keyDigests)
        XCTAssertThrowsError(try ServeConfiguration(ConfigSource(values: base.merging(["TOWER_API_AUTH": "off",
                                                                                        "TOWER_API_ADDR": "0.0.0.0:8470"]) { $1 })))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tower-keys-\(getpid())")
        try "# shop\n\(APIKeys.digest("k1"))\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try ServeConfiguration(ConfigSource(values: base.merging(["TOWER_API_KEYS_FILE": file.path,
                                                                                 "TOWER_API_KEYS": "k2"]) { $1 }))
        XCTAssertEqual(fromFile.keyDigests, [APIKeys.digest("k1"), APIKeys.digest("k2")])
        XCTAssertEqual(APIKeys.digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        try "not-a-digest\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ServeConfiguration(ConfigSource(values: base.merging(["TOWER_API_KEYS_FILE": file.path]) { $1 })))
        XCTAssertThrowsError(try ServeConfiguration(ConfigSource(values: base.merging(["TOWER_API_ADDR": "nope", "TOWER_API_AUTH": "off"]) { $1 })))
    }
}
