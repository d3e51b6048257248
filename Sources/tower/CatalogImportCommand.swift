import ArgumentParser

/// Placeholder until its issue lands.
struct CatalogImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import products from JSONL.")
}
