import ArgumentParser
import Foundation
import TowerRuntime

/// Runs a command's body. A thrown error is printed as `<program>: <description>` (secrets masked) on stderr and the
/// process exits with status 1 — no stack trace. `ExitCode`, `CleanExit` and `ValidationError` pass through to
/// swift-argument-parser unchanged.
public func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        printError("\(programName): \(error)")
        throw ExitCode.failure
    }
}

/// The running executable's name (`tower`, `tower-bench`), as error lines start with it.
private let programName = URL(fileURLWithPath: CommandLine.arguments.first ?? "tower").lastPathComponent

/// Writes one line to stderr, secrets masked (`Redaction.scrub`: error texts can quote URLs and libpq's messages).
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((Redaction.scrub(line) + "\n").utf8))
}
