import Foundation
import XCTest

/// Scratch input files for import tests, removed when the test case ends.
extension XCTestCase {
    /// Writes `text` to a fresh temporary file named `name`.
    func temporaryFile(_ name: String, _ text: String) throws -> String {
        try temporaryFile(name, Data(text.utf8))
    }

    func temporaryFile(_ name: String, _ data: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tower-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// A gzip-compressed copy of `path` (`gzip -c`; gzip is part of every Debian system).
    func gzipped(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", #"gzip -c -- "$0" > "$0.gz""#, path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "gzip failed")
        return path + ".gz"
    }
}
