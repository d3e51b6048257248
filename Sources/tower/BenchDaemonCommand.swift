import ArgumentParser

/// Placeholder until its issue lands.
struct BenchDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Benchmark towerd against the Python peer.")
}
