import ArgumentParser
import TowerConfig

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Read settings from this KEY=VALUE file (default: .local/tower.env when it exists). Environment variables win.")
    var envFile: String?

    /// The merged configuration source.
    func source() throws -> ConfigSource { try ConfigSource.load(envFile: envFile) }

    /// The shared settings.
    func settings() throws -> TowerSettings { try TowerSettings(source()) }
}
