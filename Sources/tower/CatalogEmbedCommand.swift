import ArgumentParser

/// Placeholder until its issue lands.
struct CatalogEmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "embed", abstract: "Embed product texts with MiniLM.")
}
