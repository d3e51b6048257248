import Foundation
import TowerConfig

/// The shared AWS files, `~/.aws/credentials` (sections `[NAME]`) and `~/.aws/config` (sections
/// `[default]` and `[profile NAME]`), moved with AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.
/// A profile's settings merge both files; the credentials file wins.
struct SharedConfigFiles: Sendable {
    let credentialsPath: String
    let configPath: String
    private let credentials: [String: [String: String]]
    private let config: [String: [String: String]]

    /// Reads both files; a missing file counts as empty.
    /// - Throws: `CredentialError.malformedFile` naming the file and line (never a value).
    init(_ source: ConfigSource) throws {
        let home = source["HOME"] ?? NSHomeDirectory()
        credentialsPath = Self.expand(source["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials", home: home)
        configPath = Self.expand(source["AWS_CONFIG_FILE"] ?? "~/.aws/config", home: home)
        credentials = try Self.parse(path: credentialsPath, configStyle: false)
        config = try Self.parse(path: configPath, configStyle: true)
    }

    /// The merged settings of `profile`, or nil when neither file has it.
    func profile(_ name: String) -> [String: String]? {
        let fromConfig = config[name], fromCredentials = credentials[name]
        guard fromConfig != nil || fromCredentials != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentialsFile in credentialsFile }
    }

    /// True when the profile's static keys come from the credentials file (they rank above credential_process).
    func hasCredentialsFileKeys(_ name: String) -> Bool { credentials[name]?["aws_access_key_id"] != nil }

    static func expand(_ path: String, home: String) -> String {
        path == "~" ? home : path.hasPrefix("~/") ? home + path.dropFirst() : path
    }

    /// Parses an INI file into sections of lower-cased keys. Comments start with `#` or `;`; indented lines
    /// continue a nested setting (such as `s3 =`) and are skipped.
    static func parse(path: String, configStyle: Bool) throws -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CredentialError.malformedFile(path: path, line: 1, detail: "not UTF-8 text")
        }
        var sections: [String: [String: String]] = [:]
        var current: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if raw.first == " " || raw.first == "\t" {
                guard current != nil else { throw CredentialError.malformedFile(path: path, line: index + 1, detail: "indented line outside a section") }
                continue
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw CredentialError.malformedFile(path: path, line: index + 1, detail: "a section header without its closing ]")
                }
                var name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                if configStyle, name.hasPrefix("profile ") {
                    name = name.dropFirst("profile ".count).trimmingCharacters(in: .whitespaces)
                } else if configStyle, name != "default" {
                    current = nil // [sso-session …], [services …]: not profiles
                    continue
                }
                guard !name.isEmpty else { throw CredentialError.malformedFile(path: path, line: index + 1, detail: "an empty section name") }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw CredentialError.malformedFile(path: path, line: index + 1, detail: "expected key = value (the line has no =)")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            guard !key.isEmpty else { throw CredentialError.malformedFile(path: path, line: index + 1, detail: "a setting without a key") }
            guard let section = current else {
                if configStyle { continue } // settings of a skipped section
                throw CredentialError.malformedFile(path: path, line: index + 1, detail: "setting \(key) before any [section]")
            }
            sections[section]?[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return sections
    }
}
