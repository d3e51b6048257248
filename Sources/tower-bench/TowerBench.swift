import ArgumentParser

/// `tower bench …`: benchmarks (never timed assertions in tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: model, encoder, daemon, ranking, serve; the chaos run.",
        subcommands: [BenchModelCommand.self, BenchEncoderCommand.self, BenchDaemonCommand.self, BenchRankingCommand.self,
                       BenchServeCommand.self, BenchChaosCommand.self])
}
