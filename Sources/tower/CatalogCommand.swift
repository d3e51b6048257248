import ArgumentParser

/// `tower catalog …`: the product catalog.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Import, embed and show products.",
        subcommands: [CatalogImportCommand.self, CatalogEmbedCommand.self, CatalogShowCommand.self])
}
