import Foundation
import TowerConfig
import XCTest

/// README's configuration table lists exactly the keys the code reads: every `"TOWER_…"`, `"AWS_…"` and
/// `"OPENBLAS_…"` string literal in Sources/ (Swift and C), the `KEY_FILE` form of `SecretFiles.keys`, and the
/// `${TOWER_…}` variables of deploy/*.sh. docs/operations.md and systemd/towerd.env.example name no other key.
final class ConfigurationReferenceTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    private static let key = #"(?:TOWER|AWS|OPENBLAS)_[A-Z0-9_]*[A-Z0-9]"#

    /// Keys the code builds at run time, by the literal that builds them (`ConfigSource.endpointOverride`).
    private static let built = [#""AWS_ENDPOINT_URL_\(service)""#: ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_STS"]]

    func testReadmeTableListsExactlyTheKeysTheCodeReads() throws {
        let documented = try Self.readmeKeys()
        let read = try Self.keysReadByTheCode()
        XCTAssertGreaterThan(read.count, 50, "the scan of Sources/ found too few keys: is the package root right?")
        XCTAssertEqual(read.subtracting(documented).sorted(), [], "keys the code reads but README's Configuration table does not list")
        XCTAssertEqual(documented.subtracting(read).sorted(), [], "keys README's Configuration table lists but the code no longer reads")
    }

    func testOperationsGuideAndEnvExampleNameOnlyDocumentedKeys() throws {
        let documented = try Self.readmeKeys()
        for file in ["docs/operations.md", "systemd/towerd.env.example"] {
            let named = Self.matches(of: Self.key, in: try Self.text(file))
            XCTAssertEqual(named.subtracting(documented).sorted(), [], "\(file) names keys missing from README's Configuration table")
        }
    }

    func testEveryKeyBuiltAtRunTimeIsKnown() throws {
        let pattern = #""(?:TOWER|AWS|OPENBLAS)_[A-Z0-9_]*\\\([^"]*""#
        let dynamic = Set(try Self.sourceFiles().flatMap { file in
            Self.matches(of: pattern, in: try String(contentsOf: file, encoding: .utf8), whole: true)
        })
        XCTAssertEqual(dynamic.subtracting(Self.built.keys).sorted(), [], "a key built at run time: add what it expands to to `built`")
    }

    // MARK: sources of truth

    /// Every key in the first column of the table under README's `## Configuration`.
    static func readmeKeys() throws -> Set<String> {
        let readme = try text("README.md")
        guard let start = readme.range(of: "\n## Configuration\n") else { throw CocoaError(.fileReadCorruptFile) }
        let section = readme[start.upperBound...]
        let body = section.range(of: "\n## ").map { section[..<$0.lowerBound] } ?? section
        let firstCells = body.split(separator: "\n").filter { $0.hasPrefix("| `") }
            .map { $0.dropFirst().prefix { $0 != "|" } }
        return Set(firstCells.flatMap { matches(of: key, in: String($0)) })
    }

    static func keysReadByTheCode() throws -> Set<String> {
        var keys = Set<String>()
        for file in try sourceFiles() {
            keys.formUnion(matches(of: #""\#(key)""#, in: try String(contentsOf: file, encoding: .utf8), whole: true)
                .map { String($0.dropFirst().dropLast()) })
        }
        keys.formUnion(SecretFiles.keys.map { $0 + "_FILE" })
        keys.formUnion(built.values.joined())
        for script in try files(under: "deploy", extensions: ["sh"]) {
            keys.formUnion(matches(of: #"\$\{\#(key)"#, in: try String(contentsOf: script, encoding: .utf8), whole: true)
                .map { String($0.dropFirst(2)) })
        }
        return keys
    }

    // MARK: helpers

    private static func sourceFiles() throws -> [URL] { try files(under: "Sources", extensions: ["swift", "c", "h"]) }

    private static func files(under folder: String, extensions: Set<String>) throws -> [URL] {
        let base = root.appendingPathComponent(folder)
        guard let walk = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        return walk.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension) }
    }

    private static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The matches of `pattern` (the whole match when `whole`, else the key inside it).
    private static func matches(of pattern: String, in text: String, whole: Bool = false) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: whole ? pattern : "\\b" + pattern + "\\b")
        let range = NSRange(text.startIndex..., in: text)
        return Set(regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }
}
