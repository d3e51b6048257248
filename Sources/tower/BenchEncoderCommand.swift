import ArgumentParser

/// Placeholder until its issue lands.
struct BenchEncoderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encoder", abstract: "Benchmark the MiniLM encoder.")
}
