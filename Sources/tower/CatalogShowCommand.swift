import ArgumentParser

/// Placeholder until its issue lands.
struct CatalogShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one stored product.")
}
