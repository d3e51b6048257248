import Foundation

/// The configuration sources in precedence order: process environment, then an env file.
///
/// The env file is `--env-file PATH` when given, else `.local/tower.env` when it exists.
public struct ConfigSource: Sendable {
    /// The merged key/value view (process environment wins over the file).
    public let values: [String: String]
    /// The env file that was read, if any.
    public let envFile: String?

    public static let defaultEnvFile = ".local/tower.env"

    public init(values: [String: String], envFile: String? = nil) {
        self.values = values
        self.envFile = envFile
    }

    /// Loads the process environment merged over the env file, with `KEY_FILE` secrets read (`SecretFiles`).
    public static func load(envFile: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConfigSource {
        var merged: [String: String] = [:]
        var used: String? = nil
        if let path = envFile {
            merged = try EnvFile.load(path: path)
            used = path
        } else if FileManager.default.fileExists(atPath: defaultEnvFile) {
            merged = try EnvFile.load(path: defaultEnvFile)
            used = defaultEnvFile
        }
        for (k, v) in environment { merged[k] = v }
        return ConfigSource(values: try SecretFiles.resolve(merged), envFile: used)
    }

    public subscript(key: String) -> String? {
        guard let v = values[key], !v.isEmpty else { return nil }
        return v
    }

    /// A required value, with a hint saying how to provide it.
    public func require(_ key: String, hint: String) throws -> String {
        guard let v = self[key] else { throw ConfigError.missing(key: key, hint: hint) }
        return v
    }

    /// A duration such as `2d`, `36h`, `90m`, `45s` or plain seconds.
    public func duration(_ key: String, default def: Double) throws -> Double {
        guard let raw = self[key] else { return def }
        guard let seconds = Duration.parseSeconds(raw) else {
            throw ConfigError.invalid(key: key, value: raw, expected: "a positive duration like 2d, 36h, 90m or 45s, at most 36500d")
        }
        return seconds
    }

    public func int(_ key: String, default def: Int) throws -> Int {
        guard let raw = self[key] else { return def }
        guard let v = Int(raw) else { throw ConfigError.invalid(key: key, value: raw, expected: "an integer") }
        return v
    }

    public func double(_ key: String, default def: Double) throws -> Double {
        guard let raw = self[key] else { return def }
        guard let v = Double(raw) else { throw ConfigError.invalid(key: key, value: raw, expected: "a number") }
        return v
    }
}

/// Duration parsing shared by configuration and command-line options.
public enum Duration {
    /// The longest duration accepted: 100 years (longer is a typo, and would overflow dates and integers).
    public static let maxSeconds: Double = 36_500 * 86_400

    /// Seconds for `2d`, `36h`, `90m`, `45s`, `1w` or a plain number of seconds; nil when malformed, not positive,
    /// not finite (`inf`, `nan`) or longer than `maxSeconds`.
    public static func parseSeconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        let (number, scale) = units.first { t.hasSuffix($0.0) }.map { (t.dropLast($0.0.count), $0.1) } ?? (Substring(t), 1)
        // Digits, one point and an exponent only: Double("inf"), Double("nan") and hex floats are not durations.
        guard number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "+" || $0 == "-") }),
              let n = Double(number), n > 0, n * scale <= maxSeconds else { return nil }
        return n * scale
    }
}
