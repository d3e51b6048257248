import Foundation
import TowerConfig

/// Where a local endpoint listens: an IPv4 host (`localhost` means 127.0.0.1) and a port, 0 for any free one.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    /// Parses `HOST:PORT`, the value of `key`.
    /// - Throws: `ConfigError.invalid` for a malformed address.
    public init(_ text: String, key: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let host = parts.first == "localhost" ? "127.0.0.1" : String(parts.first ?? "")
        var probe = in_addr()
        guard parts.count == 2, let port = UInt16(parts[1]), inet_pton(AF_INET, host, &probe) == 1 else {
            throw ConfigError.invalid(key: key, value: text, expected: "HOST:PORT with an IPv4 host, e.g. 127.0.0.1:9464")
        }
        self.host = host
        self.port = Int(port)
    }

    /// The address under `key`, `fallback` when unset; nil when it is `off`.
    /// - Throws: `ConfigError.invalid` for a malformed address.
    public static func configured(_ source: ConfigSource, key: String, fallback: String) throws -> ListenAddress? {
        let value = source[key] ?? fallback
        return value.lowercased() == "off" ? nil : try ListenAddress(value, key: key)
    }

    public var description: String { "\(host):\(port)" }
}
