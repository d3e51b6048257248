import ArgumentParser

/// `tower-bench`: Tower's benchmarks, apart from the user's commands in `tower` (benchmarks are commands, never timed
/// assertions in tests).
@main
struct TowerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tower-bench", abstract: "Tower's benchmarks: model, encoder, daemon, ranking, serve; the chaos run.",
        discussion: """
        Settings come as for `tower`: environment variables, then --env-file PATH, by default .local/tower.env when it \
        exists (written by `deploy/local.sh up`). Use a release build for figures. Each benchmark prints the BLAS \
        kernel first; `tower-bench <benchmark> --help` explains it.
        """,
        subcommands: [BenchModelCommand.self, BenchEncoderCommand.self, BenchDaemonCommand.self, BenchRankingCommand.self,
                      BenchServeCommand.self, BenchChaosCommand.self])
}
