import ArgumentParser

/// Placeholder until its issue lands.
struct BenchRankingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ranking", abstract: "Benchmark ranking latency.")
}
