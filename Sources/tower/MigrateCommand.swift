import ArgumentParser
import TowerCLI
import TowerStore

/// `tower migrate`: brings the database schema to the version this build knows.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply database migrations.",
        discussion: """
        Applies the schema migrations this build knows that the database (TOWER_DATABASE_URL) lacks, in \
        order, each once, and records them in schema_migrations. Safe to run any number of times and from \
        several processes at once (an advisory lock serialises them). Refuses a database whose schema is \
        newer than this build. Grants the read-only role tower_ro, when it exists, SELECT on the tables ranking and \
        `tower serve` read (not the event log) and revokes anything else it had.
        """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReportingErrors {
            let migrator = Migrator(try global.connect())
            let applied = try migrator.migrate()
            let version = try migrator.currentVersion()
            if applied.isEmpty {
                print("schema is up to date (version \(version))")
            } else {
                print("applied migration\(applied.count == 1 ? "" : "s") \(applied.map(String.init).joined(separator: ", ")); schema version \(version)")
            }
        }
    }
}
