import Foundation
import LibPQ
import TowerConfig

/// Settings and scratch resources for integration tests, which run against the servers that
/// `deploy/local.sh up` starts (their settings are in `<package root>/.local/tower.env`).
public enum TestEnvironment {
    /// The package root, found from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the package (CI and development keep it there).
    public static let sharedDirectory: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The process environment merged over `.local/tower.env`.
    public static let values: [String: String] = {
        let file = packageRoot.appendingPathComponent(".local/tower.env").path
        var merged = (try? EnvFile.load(path: file)) ?? [:]
        for (k, v) in ProcessInfo.processInfo.environment { merged[k] = v }
        return merged
    }()

    /// A required setting; the error says how to get it.
    public static func require(_ key: String) throws -> String {
        guard let v = values[key], !v.isEmpty else {
            throw ConfigError.missing(key: key, hint: "run `deploy/local.sh up` first: integration tests use its servers")
        }
        return v
    }

    /// A `ConfigSource` over the test settings, with overrides.
    public static func source(overriding extra: [String: String] = [:]) -> ConfigSource {
        ConfigSource(values: values.merging(extra) { _, new in new })
    }

    /// `url` with its database name replaced.
    public static func url(_ url: String, database: String) -> String {
        guard var c = URLComponents(string: url) else { return url }
        c.path = "/" + database
        return c.string ?? url
    }
}

/// A fresh database for one test case, owned by the read/write role, with pgvector available
/// (created from template1). Dropped by `drop()`.
public final class ScratchDatabase: @unchecked Sendable {
    public let name: String
    /// URL for the read/write role.
    public let url: String
    /// URL for the read-only role.
    public let readOnlyURL: String
    private let adminURL: String
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    public init(_ label: String) throws {
        let n: Int = ScratchDatabase.lock.withLock { ScratchDatabase.counter += 1; return ScratchDatabase.counter }
        let clean = label.lowercased().filter { $0.isLetter || $0.isNumber }
        name = "t_\(clean.prefix(30))_\(getpid())_\(n)"
        adminURL = try TestEnvironment.require("TOWER_ADMIN_DATABASE_URL")
        let rw = try TestEnvironment.require("TOWER_DATABASE_URL")
        let ro = try TestEnvironment.require("TOWER_READONLY_DATABASE_URL")
        let admin = try PQConnection(url: adminURL)
        try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try admin.execute("CREATE DATABASE \(name) OWNER tower TEMPLATE template1")
        url = TestEnvironment.url(rw, database: name)
        readOnlyURL = TestEnvironment.url(ro, database: name)
    }

    /// A connection as the read/write role.
    public func connect() throws -> PQConnection { try PQConnection(url: url) }

    /// Drops the database (forcing other sessions off).
    public func drop() {
        guard let admin = try? PQConnection(url: adminURL) else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// Runs a command to completion (with exactly `environment`, when given) and returns its exit status with
/// stdout and stderr together.
public func runCapturingOutput(_ executable: URL, _ arguments: [String],
                               environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
