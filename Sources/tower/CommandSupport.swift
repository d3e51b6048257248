import ArgumentParser
import Foundation
import LibPQ
import TowerConfig
import TowerWorker

/// Runs a command's body. A thrown error is printed as `tower: <description>` (secrets masked) on stderr and the process
/// exits with status 1 — no stack trace. `ExitCode`, `CleanExit` and `ValidationError` pass through to
/// swift-argument-parser unchanged.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        printError("tower: \(error)")
        throw ExitCode.failure
    }
}

/// Writes one line to stderr, secrets masked (`Redaction.scrub`: error texts can quote URLs and libpq's messages).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((Redaction.scrub(line) + "\n").utf8))
}

extension GlobalOptions {
    /// A read/write connection (TOWER_DATABASE_URL), retrying for a few seconds while the server starts.
    func connect() throws -> PQConnection {
        try PQConnection(url: settings().requireDatabaseURL(), retry: RetryPolicy(maxAttempts: 6, maxDelay: 2))
    }
}
