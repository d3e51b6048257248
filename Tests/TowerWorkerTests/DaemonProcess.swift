import Foundation
import XCTest

/// A `towerd` child process (the binary built beside the test bundle), with its JSON log lines captured.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var lines: [[String: Any]] = []
    private var partial = Data()

    /// The built `towerd` (or another product, such as `tower`), found next to the test bundle.
    static func binary(_ name: String = "towerd") throws -> URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for dir in candidates {
            let url = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw XCTSkip("no \(name) binary beside the tests (looked in \(candidates.map(\.path))): build it with `swift build --product \(name)`")
    }

    /// Starts `towerd` with exactly `environment`, in a scratch directory (so no default env file is read).
    init(environment: [String: String], arguments: [String] = []) throws {
        process.executableURL = try Self.binary()
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.append(data)
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func append(_ data: Data) {
        lock.withLock {
            partial.append(data)
            while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = partial[partial.startIndex..<newline]
                partial.removeSubrange(partial.startIndex...newline)
                if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
                    lines.append(object)
                } else {
                    lines.append(["msg": String(decoding: line, as: UTF8.self), "level": "raw"])
                }
            }
        }
    }

    /// The log lines so far.
    var log: [[String: Any]] { lock.withLock { lines } }

    /// Waits until a log line with `msg` appears; false on timeout or exit.
    @discardableResult
    func waitForLog(_ message: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(where: { $0["msg"] as? String == message }) { return true }
            if !process.isRunning { return log.contains(where: { $0["msg"] as? String == message }) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The captured log as text, for failure messages.
    var transcript: String {
        log.compactMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }
}
