import ArgumentParser

/// The `tower` command line: set up, import, embed, train, evaluate, recommend, send, serve (benchmarks: `tower-bench`).
@main
struct Tower: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tower",
        abstract: "Tower: a self-hosted two-tower recommendation engine.",
        discussion: """
        Configuration comes from environment variables, then from --env-file PATH, and by default from \
        .local/tower.env when it exists (written by `deploy/local.sh up`). Main keys: TOWER_DATABASE_URL, \
        TOWER_READONLY_DATABASE_URL, TOWER_QUEUE_URL, TOWER_DLQ_URL, AWS_REGION, AWS_ACCESS_KEY_ID, \
        AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_SQS, TOWER_MODEL_PATH, TOWER_ENCODER_DIR, TOWER_WINDOW, \
        TOWER_EVENT_WEIGHTS. See README.md for the full reference.
        """,
        subcommands: [
            MigrateCommand.self, StatusCommand.self, CatalogCommand.self, EventsCommand.self, TextCommand.self,
            TrainCommand.self, EvaluateCommand.self, UsersCommand.self, UserCommand.self, SendCommand.self,
            RecommendCommand.self, SimilarCommand.self, ServeCommand.self, IndexCommand.self, RerankCommand.self,
        ]
    )
}
