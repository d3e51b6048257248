import Foundation
import TowerTestSupport
import XCTest

/// The shipped systemd units: resource limits, no core dumps, the documented credentials, and systemd's own
/// parser (`systemd-analyze verify`) finding nothing to ignore, with the commented credential lines enabled.
final class SystemdUnitTests: XCTestCase {
    private let directory = TestEnvironment.packageRoot.appendingPathComponent("systemd")
    private let services = ["towerd.service", "tower-api.service", "tower-retrain.service"]

    private func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    func testEveryServiceIsBoundedDumpsNoCoreAndDocumentsCredentials() throws {
        for name in services {
            let lines = try text(name).split(separator: "\n").map(String.init)
            for directive in ["MemoryMax=", "TasksMax=", "LimitCORE=0"] {
                XCTAssertTrue(lines.contains { $0.hasPrefix(directive) }, "\(name) lacks \(directive)")
            }
            XCTAssertTrue(lines.contains { $0.hasPrefix("#LoadCredential=") }, "\(name) does not show LoadCredential=")
            XCTAssertTrue(lines.contains { $0.hasPrefix("#Environment=") && $0.contains("_FILE=") }, "\(name) does not show the KEY_FILE settings")
        }
    }

    func testSystemdAcceptsEveryDirective() throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("systemd-analyze is not installed")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tower-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let units = services + ["tower-retrain.timer"]
        for name in units {
            // The binaries are not installed here, and the credential lines are what an operator would enable.
            let unit = try text(name).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                var l = String(line).replacingOccurrences(of: "/usr/local/bin/tower serve", with: "/bin/true serve")
                    .replacingOccurrences(of: "/usr/local/bin/towerd", with: "/bin/true")
                    .replacingOccurrences(of: "/usr/local/bin/tower", with: "/bin/true")
                if l.hasPrefix("#LoadCredential=") || l.hasPrefix("#Environment=") { l.removeFirst() }
                return l
            }.joined(separator: "\n")
            try unit.write(to: scratch.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let (status, text) = try runCapturingOutput(URL(fileURLWithPath: analyze), ["verify"] + units.map { scratch.appendingPathComponent($0).path })
        XCTAssertEqual(status, 0, text)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "", "systemd ignored or refused a directive")
    }
}
