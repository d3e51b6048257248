import ArgumentParser

/// Placeholder until its issue lands.
struct BenchModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Benchmark the user tower forward pass and training.")
}
