import ArgumentParser

/// Placeholder until its issue lands.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "Manage the vector index.")
}
