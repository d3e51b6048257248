import Foundation
import TowerConfig
import TowerModel

/// Settings of `tower serve`, read from the environment (see docs/serve.md for every key).
public struct ServeConfiguration: Sendable {
    /// Where the server listens (TOWER_API_ADDR, default 127.0.0.1:8470).
    public var host: String
    public var port: Int
    /// The read-only database (TOWER_READONLY_DATABASE_URL, else TOWER_DATABASE_URL).
    public var databaseURL: String
    /// Threads that run the blocking ranking calls (TOWER_API_WORKERS, default `defaultWorkers`) = database connections.
    public var workers: Int
    /// Requests that may wait for a worker (TOWER_API_QUEUE, default 256); beyond it: 503 with Retry-After.
    public var queueCapacity: Int
    /// SHA-256 hex digests of the accepted API keys; nil when access control is off (TOWER_API_AUTH=off).
    public var keyDigests: Set<String>?
    /// Requests per second each key may make (TOWER_API_RATE_LIMIT, default 100; 0 = unlimited), bursts up to
    /// twice that (TOWER_API_RATE_BURST).
    public var rateLimit: Double
    public var rateBurst: Double
    /// Origins browsers may call from (TOWER_API_CORS_ORIGINS, comma-separated; `*` for any).
    public var corsOrigins: [String]
    /// How long a SIGTERM waits for requests in flight (TOWER_API_DRAIN, default 10s).
    public var drainSeconds: Double

    /// Twice the cores, between 2 and 32: a re-ranked page with warm caches is CPU work around one database round trip,
    /// and more threads than that only share the cores (a longer tail) and hold connections (docs/serve.md).
    public static var defaultWorkers: Int { min(32, max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)) }

    /// The memberwise form, for tests.
    public init(host: String = "127.0.0.1", port: Int = 8470, databaseURL: String, workers: Int = defaultWorkers, queueCapacity: Int = 256,
                keyDigests: Set<String>?, rateLimit: Double = 100, rateBurst: Double = 200, corsOrigins: [String] = [],
                drainSeconds: Double = 10) {
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.workers = workers
        self.queueCapacity = queueCapacity
        self.keyDigests = keyDigests
        self.rateLimit = rateLimit
        self.rateBurst = rateBurst
        self.corsOrigins = corsOrigins
        self.drainSeconds = drainSeconds
    }

    /// Reads every key; throws `ConfigError` naming the key and what to set.
    public init(_ source: ConfigSource) throws {
        let address = source["TOWER_API_ADDR"] ?? "127.0.0.1:8470"
        (host, port) = try Self.parseAddress(address)
        guard let url = source["TOWER_READONLY_DATABASE_URL"] ?? source["TOWER_DATABASE_URL"] else {
            throw ConfigError.missing(key: "TOWER_READONLY_DATABASE_URL", hint: "set the read-only database URL (the tower_ro role)")
        }
        databaseURL = url
        workers = try source.int("TOWER_API_WORKERS", default: Self.defaultWorkers)
        queueCapacity = try source.int("TOWER_API_QUEUE", default: 256)
        guard workers >= 1 else { throw ConfigError.invalid(key: "TOWER_API_WORKERS", value: "\(workers)", expected: "at least 1") }
        guard queueCapacity >= 0 else { throw ConfigError.invalid(key: "TOWER_API_QUEUE", value: "\(queueCapacity)", expected: "0 or more") }
        rateLimit = try source.double("TOWER_API_RATE_LIMIT", default: 100)
        rateBurst = try source.double("TOWER_API_RATE_BURST", default: max(1, rateLimit * 2))
        corsOrigins = (source["TOWER_API_CORS_ORIGINS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        drainSeconds = try source.duration("TOWER_API_DRAIN", default: 10)
        keyDigests = try Self.keys(source, host: host)
    }

    /// The accepted key digests, or nil when TOWER_API_AUTH=off (allowed on a loopback address only).
    static func keys(_ source: ConfigSource, host: String) throws -> Set<String>? {
        var digests = Set<String>()
        for key in (source["TOWER_API_KEYS"] ?? "").split(separator: ",") {
            let trimmed = key.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { digests.insert(APIKeys.digest(trimmed)) }
        }
        if let path = source["TOWER_API_KEYS_FILE"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigError.invalid(key: "TOWER_API_KEYS_FILE", value: path, expected: "a readable file")
            }
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let digest = line.trimmingCharacters(in: .whitespaces).lowercased()
                if digest.isEmpty || digest.hasPrefix("#") { continue }
                guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                    throw ConfigError.invalid(key: "TOWER_API_KEYS_FILE", value: "\(path) line \(n + 1)",
                                              expected: "one SHA-256 hex digest a line (`printf %s KEY | sha256sum`)")
                }
                digests.insert(digest)
            }
        }
        let auth = source["TOWER_API_AUTH"] ?? "on"
        guard auth == "on" || auth == "off" else {
            throw ConfigError.invalid(key: "TOWER_API_AUTH", value: auth, expected: "on or off")
        }
        if auth == "off" {
            guard Self.isLoopback(host) else {
                throw ConfigError.invalid(key: "TOWER_API_AUTH", value: auth,
                                          expected: "on when TOWER_API_ADDR is not a loopback address: set TOWER_API_KEYS or TOWER_API_KEYS_FILE")
            }
            return nil
        }
        guard !digests.isEmpty else {
            throw ConfigError.missing(key: "TOWER_API_KEYS",
                                      hint: "set TOWER_API_KEYS (comma-separated keys) or TOWER_API_KEYS_FILE (SHA-256 digests), or TOWER_API_AUTH=off on a loopback address")
        }
        return digests
    }

    static func parseAddress(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigError.invalid(key: "TOWER_API_ADDR", value: text, expected: "HOST:PORT, e.g. 127.0.0.1:8470")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// API key hashing: keys are compared by SHA-256 digest, so neither the file nor memory holds them in clear.
enum APIKeys {
    static func digest(_ key: String) -> String {
        SHA256.hex(key)
    }
}
