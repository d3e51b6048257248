import ArgumentParser
import LibPQ
import TowerConfig
import TowerTextEncoder

/// Options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Read settings from this KEY=VALUE file (default: .local/tower.env when it exists). Environment variables win.")
    public var envFile: String?

    public init() {}

    /// The merged configuration source.
    public func source() throws -> ConfigSource { try ConfigSource.load(envFile: envFile) }

    /// The shared settings.
    public func settings() throws -> TowerSettings { try TowerSettings(source()) }

    /// A read/write connection (TOWER_DATABASE_URL), retrying for a few seconds while the server starts.
    public func connect() throws -> PQConnection {
        try PQConnection(url: settings().requireDatabaseURL(), retry: RetryPolicy(maxAttempts: 6, maxDelay: 2))
    }

    /// The URL ranking reads from, or an error that says how to set it.
    public func readOnlyDatabaseURL() throws -> String {
        guard let url = try settings().readOnlyDatabaseURL else {
            throw ConfigError.missing(key: "TOWER_READONLY_DATABASE_URL",
                                      hint: "set it (or TOWER_DATABASE_URL) in the environment or an env file (`deploy/local.sh up` writes .local/tower.env)")
        }
        return url
    }

    /// The MiniLM encoder from TOWER_ENCODER_DIR (error names `deploy/local.sh models` when missing).
    public func loadEncoder() throws -> MiniLMEncoder {
        try MiniLMEncoder(directory: settings().encoderDirectory)
    }
}
