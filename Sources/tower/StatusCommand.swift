import ArgumentParser

/// Placeholder until its issue lands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show schema version and counts.")
}
