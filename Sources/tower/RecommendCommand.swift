import ArgumentParser

/// Placeholder until its issue lands.
struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recommend", abstract: "Recommend products for a customer.")
}
