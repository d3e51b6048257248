import Foundation

/// Secrets read from files: for each key in `keys`, `KEY_FILE=PATH` stands for `KEY=<the file's content>`
/// (trailing newlines removed). A relative PATH is taken in `$CREDENTIALS_DIRECTORY`, where systemd's
/// `LoadCredential=` puts its files, so a unit can say `LoadCredential=database-url:/etc/tower/credentials/database-url`
/// and `Environment=TOWER_DATABASE_URL_FILE=database-url` and keep the secret out of the environment and env files.
public enum SecretFiles {
    /// The keys that may come from a file.
    public static let keys = ["TOWER_DATABASE_URL", "TOWER_READONLY_DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]

    /// `values` with each `KEY_FILE` of `keys` resolved into `KEY`.
    /// - Throws: `ConfigError.invalid` when both `KEY` and `KEY_FILE` are set, or the file cannot be read.
    static func resolve(_ values: [String: String]) throws -> [String: String] {
        var resolved = values
        for key in keys {
            let fileKey = key + "_FILE"
            guard let path = values[fileKey], !path.isEmpty else { continue }
            if let v = values[key], !v.isEmpty {
                throw ConfigError.invalid(key: fileKey, value: path, expected: "unset while \(key) is set: give the secret one way only")
            }
            let full = path.hasPrefix("/") ? path : (values["CREDENTIALS_DIRECTORY"] ?? ".") + "/" + path
            guard let data = FileManager.default.contents(atPath: full), var text = String(data: data, encoding: .utf8) else {
                throw ConfigError.invalid(key: fileKey, value: full, expected: "a readable UTF-8 file holding \(key) (with LoadCredential=, a name under $CREDENTIALS_DIRECTORY)")
            }
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            resolved[key] = text
        }
        return resolved
    }
}
