import ArgumentParser
import Logging
import TowerConfig
import TowerServe
import TowerWorker

/// `tower serve`: the HTTP API (TowerServe).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve recommendations over HTTP (Tower's API and Algolia Recommend's).",
        discussion: """
        A read-only HTTP/1.1 JSON server over the ranking library: Tower's own API (docs/openapi.yaml) and \
        Algolia Recommend's POST /1/indexes/*/recommendations, GET /health (200 when the database answers) and \
        GET /metrics (Prometheus). Keys: TOWER_API_ADDR (default 127.0.0.1:8470), TOWER_READONLY_DATABASE_URL, \
        TOWER_API_KEYS or TOWER_API_KEYS_FILE (required unless TOWER_API_AUTH=off on a loopback address), \
        TOWER_API_RATE_LIMIT, TOWER_API_RATE_BURST, TOWER_API_CORS_ORIGINS, TOWER_API_WORKERS, TOWER_API_QUEUE, \
        TOWER_API_DRAIN, TOWER_LOG_LEVEL; see docs/serve.md. SIGTERM stops accepting, drains and exits 0.
        """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration: ServeConfiguration
        let level: Logger.Level
        do {
            let source = try global.source()
            configuration = try ServeConfiguration(source)
            level = try JSONLogHandler.level(source["TOWER_LOG_LEVEL"] ?? "info")
        } catch {
            printError("tower: \(error)")
            throw ExitCode.failure
        }
        JSONLogHandler.bootstrap(level: level)
        let logger = Logger(label: "tower-serve")
        do {
            try await TowerServer(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("cannot serve", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
