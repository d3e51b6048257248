import ArgumentParser

/// Placeholder until its issue lands.
struct SimilarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "similar", abstract: "Products similar to a product.")
}
