import Foundation

/// Runs verbs of `deploy/local.sh` (e.g. `stop-postgres`, `start-postgres`) from tests.
public enum LocalServers {
    /// Starts `deploy/local.sh verb` in the background; call `waitUntilExit()` on the result.
    public static func launch(_ verb: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [TestEnvironment.packageRoot.appendingPathComponent("deploy/local.sh").path, verb]
        try p.run()
        return p
    }

    /// Runs `deploy/local.sh verb` and returns its exit status.
    @discardableResult
    public static func run(_ verb: String) throws -> Int32 {
        let p = try launch(verb)
        p.waitUntilExit()
        return p.terminationStatus
    }
}
