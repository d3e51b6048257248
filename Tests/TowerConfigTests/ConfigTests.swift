import XCTest
@testable import TowerConfig

final class ConfigTests: XCTestCase {
    func testEnvFileParsing() {
        let v = EnvFile.parse("# c\nexport A=1\nB = \"two words\"\n\nC='x=y'\nbad line\n")
        XCTAssertEqual(v, ["A": "1", "B": "two words", "C": "x=y"])
    }

    func testDurations() {
        XCTAssertEqual(Duration.parseSeconds("2d"), 172_800)
        XCTAssertEqual(Duration.parseSeconds("90m"), 5_400)
        XCTAssertEqual(Duration.parseSeconds("45"), 45)
        XCTAssertNil(Duration.parseSeconds("-1h"))
        XCTAssertNil(Duration.parseSeconds("soon"))
        for absurd in ["inf", "infinity", "nan", "infs", "1e400", "0x10", "15600000w", "1e10d", "0"] {
            XCTAssertNil(Duration.parseSeconds(absurd), absurd)
        }
        XCTAssertEqual(Duration.parseSeconds("36500d"), Duration.maxSeconds)
        XCTAssertEqual(Duration.parseSeconds("1.5e1m"), 900)
        XCTAssertThrowsError(try ConfigSource(values: ["TOWER_WINDOW": "inf"]).duration("TOWER_WINDOW", default: 1)) {
            XCTAssertTrue("\($0)".contains("TOWER_WINDOW") && "\($0)".contains("at most 36500d"), "\($0)")
        }
    }

    func testEventTypesParseAndReject() throws {
        let t = try EventTypes.parse("product_viewed=0.1, product_purchased=8")
        XCTAssertEqual(t.names, ["product_viewed", "product_purchased"])
        XCTAssertEqual(t.weight(of: "product_purchased"), 8)
        XCTAssertThrowsError(try EventTypes.parse("x=-1"))
        XCTAssertThrowsError(try EventTypes.parse(""))
    }

    func testSecretsComeFromFilesInTheCredentialsDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tower-cred-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "postgresql://tower:from-a-file@db/tower\n".write(to: dir.appendingPathComponent("database-url"), atomically: true, encoding: .utf8)
        try "aws-secret".write(to: dir.appendingPathComponent("aws"), atomically: true, encoding: .utf8)
        let empty = dir.appendingPathComponent("empty.env").path
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        let src = try ConfigSource.load(envFile: empty, environment: [
            "CREDENTIALS_DIRECTORY": dir.path, "TOWER_DATABASE_URL_FILE": "database-url",
            "AWS_SECRET_ACCESS_KEY_FILE": dir.appendingPathComponent("aws").path,
        ])
        XCTAssertEqual(try TowerSettings(src).requireDatabaseURL(), "postgresql://tower:from-a-file@db/tower", "relative to $CREDENTIALS_DIRECTORY, newline trimmed")
        XCTAssertEqual(try TowerSettings(src).readOnlyDatabaseURL, "postgresql://tower:from-a-file@db/tower")
        XCTAssertEqual(src["AWS_SECRET_ACCESS_KEY"], "aws-secret", "an absolute path")
        XCTAssertThrowsError(try ConfigSource.load(envFile: empty, environment: ["CREDENTIALS_DIRECTORY": dir.path, "TOWER_DATABASE_URL_FILE": "missing"])) {
            guard case .invalid(let key, _, _) = $0 as? ConfigError else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "TOWER_DATABASE_URL_FILE")
        }
        XCTAssertThrowsError(try ConfigSource.load(envFile: empty, environment: [
            "CREDENTIALS_DIRECTORY": dir.path, "TOWER_DATABASE_URL_FILE": "database-url", "TOWER_DATABASE_URL": "postgresql://also@db/t",
        ]), "one way only")
    }

    func testEnvironmentOverridesFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tower-cfg-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("t.env").path
        try "TOWER_WINDOW=3d\nTOWER_DATABASE_URL=postgres://file\n".write(toFile: file, atomically: true, encoding: .utf8)
        let src = try ConfigSource.load(envFile: file, environment: ["TOWER_DATABASE_URL": "postgres://env"])
        let s = try TowerSettings(src)
        XCTAssertEqual(s.databaseURL, "postgres://env")
        XCTAssertEqual(s.windowSeconds, 259_200)
        XCTAssertThrowsError(try ConfigSource.load(envFile: dir.appendingPathComponent("missing.env").path))
    }
}
