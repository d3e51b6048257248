import ArgumentParser
import TowerCLI
import TowerStore

/// `tower status`: schema version and table sizes.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show schema version and counts.",
        discussion: """
        Prints the database's schema version and exact counts: products (all, and those with a ranking \
        vector), events in the log, recent interactions (the daemon's window) and stored user vectors. \
        With --json, one line:
          {"schema_version": N, "products": {"total": N, "with_vector": N},
           "events": N, "interactions": N, "users": N}
        An unmigrated database shows version 0 and zero counts.
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let s = try StatusRepository(try global.connect()).status()
            if json {
                print(#"{"schema_version": \#(s.schemaVersion), "products": {"total": \#(s.products), "with_vector": \#(s.productsWithVector)}, "events": \#(s.events), "interactions": \#(s.interactions), "users": \#(s.users)}"#)
                return
            }
            let known = Migrations.latestVersion
            let note = s.schemaVersion == known ? "up to date"
                : s.schemaVersion < known ? "run `tower migrate`, this build knows \(known)" : "newer than this build (\(known))"
            print("""
                schema version  \(s.schemaVersion) (\(note))
                products        \(s.products) (\(s.productsWithVector) with a vector)
                events          \(s.events)
                interactions    \(s.interactions)
                users           \(s.users)
                """)
        }
    }
}
