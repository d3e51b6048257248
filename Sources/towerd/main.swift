import ArgumentParser
import Foundation
import Logging
import TowerConfig
import TowerMath
import TowerModel
import TowerWorker

/// `towerd`: consumes interaction events from the queue and keeps user vectors current.
struct Towerd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "towerd",
        abstract: "Tower's event daemon: queue → user tower → PostgreSQL, exactly once per event.",
        discussion: "Configuration comes from environment variables, then --env-file PATH (default .local/tower.env when it "
            + "exists). Main keys: TOWER_DATABASE_URL, TOWER_QUEUE_URL, TOWER_DLQ_URL, AWS_REGION, AWS_ENDPOINT_URL_SQS; "
            + "AWS credentials from the AWS SDKs' chain (AWS_ACCESS_KEY_ID…, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_PROFILE, ECS, EC2 instance role), TOWER_MODEL_PATH, TOWER_WINDOW, TOWER_EVENT_WEIGHTS, TOWER_WORKERS, "
            + "TOWER_METRICS_ADDR, TOWER_LOG_LEVEL; see docs/daemon.md and docs/operations.md.\n\n"
            + "Signals: SIGTERM/SIGINT finish the batches in hand and exit 0; SIGHUP reloads the model file.")

    @Option(name: .long, help: "Read settings from this KEY=VALUE file (default: .local/tower.env when it exists). Environment variables win.")
    var envFile: String?

    @Flag(name: .long, help: "Check the configuration, database, queues and model, print the results, and exit (0 when all pass).")
    var check = false

    func run() throws {
        let source: ConfigSource
        let daemonConfiguration: DaemonConfiguration
        let level: Logger.Level
        let metricsAddress: String?
        do {
            source = try ConfigSource.load(envFile: envFile)
            daemonConfiguration = try DaemonConfiguration(source)
            level = try JSONLogHandler.level(daemonConfiguration.settings.logLevel)
            metricsAddress = MetricsHTTPServer.configuredAddress(source)
            if let metricsAddress { _ = try MetricsHTTPServer(registry: MetricsRegistry(), address: metricsAddress) }
        } catch {
            Self.report(.failure, "configuration", "\(error)")
            throw ExitCode.failure
        }
        if check {
            let kernel = BLASKernel.current
            Self.report(kernel.faster == nil ? .ok : .warning, "blas", kernel.description)
            Self.report(.ok, "configuration", "read from \(source.envFile.map { "the environment and \($0)" } ?? "the environment")")
            throw Self.runChecks(Preflight(configuration: daemonConfiguration), metricsAddress: metricsAddress) ? ExitCode.success : ExitCode.failure
        }

        JSONLogHandler.bootstrap(level: level)
        let logger = Logger(label: "towerd")
        logger.info("\(BLASKernel.current)")
        do {
            let status = try Daemon(configuration: daemonConfiguration, metricsAddress: metricsAddress, logger: logger).run()
            throw ExitCode(status)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }

    /// Runs every check, printing one line each; true when all passed. Last, a towerd running at `metricsAddress`
    /// is asked for its `/health` (why nothing moves, when it does not); none answering is not a failure.
    private static func runChecks(_ preflight: Preflight, metricsAddress: String?) -> Bool {
        var ok = true
        func step(_ name: String, _ body: () throws -> any Sequence<String>) {
            do {
                for line in try body() { report(.ok, name, line) }
            } catch {
                report(.failure, name, "\(error)")
                ok = false
            }
        }
        step("credentials") { [preflight.credentials()] }
        step("database") { [try preflight.database(requireWrites: true)] }
        step("queue") {
            let result = try preflight.queues()
            if !result.rejectedMessagesHandled, let warning = result.lines.last {
                report(.warning, "queue", warning)
                return result.lines.dropLast()
            }
            return result.lines
        }
        step("model") {
            let model = try preflight.model()
            return ["version \(model.current.version) from \(model.currentOrigin)"]
        }
        if let metricsAddress {
            switch MetricsHTTPServer.health(at: metricsAddress) {
            case nil: report(.ok, "daemon", "no towerd answers at http://\(metricsAddress)/health (none running there)")
            case let (healthy, text)?:
                report(healthy ? .ok : .failure, "daemon", text)
                ok = ok && healthy
            }
        }
        return ok
    }

    private enum Outcome: String { case ok = "ok  ", warning = "warn", failure = "FAIL" }

    /// Prints one check's line, secrets masked (error texts can quote URLs and libpq's messages).
    private static func report(_ outcome: Outcome, _ name: String, _ text: String) {
        let line = "\(outcome.rawValue) \(name): \(Redaction.scrub(text))\n"
        FileHandle(fileDescriptor: outcome == .failure ? STDERR_FILENO : STDOUT_FILENO).write(Data(line.utf8))
    }
}

Towerd.main()
