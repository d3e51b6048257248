import Foundation

/// A Swift value that can be sent as a statement parameter (in PostgreSQL's text format).
public protocol PostgresBindable {
    /// The parameter's text representation, as PostgreSQL's input function reads it.
    var postgresText: String { get }
}

extension String: PostgresBindable { public var postgresText: String { self } }
extension Int: PostgresBindable { public var postgresText: String { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String { String(self) } }
extension Double: PostgresBindable { public var postgresText: String { String(self) } }
extension Float: PostgresBindable { public var postgresText: String { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String { self ? "t" : "f" } }

extension Date: PostgresBindable {
    /// Microsecond-precision UTC timestamp, e.g. `2024-05-01 12:00:00.123456+00`.
    public var postgresText: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int64((micros / 1_000_000).rounded(.down))
        let frac = Int64(micros) - seconds * 1_000_000
        var t = time_t(seconds)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1,
                      Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec), frac)
    }
}

/// A pgvector `vector` parameter (`[1,2,3]`).
public struct PostgresVector: PostgresBindable, Sendable, Equatable {
    public var values: [Float]
    public init(_ values: [Float]) { self.values = values }
    public var postgresText: String {
        var s = "["
        s.reserveCapacity(values.count * 12)
        for (i, v) in values.enumerated() {
            if i > 0 { s += "," }
            s += v.description
        }
        return s + "]"
    }
}

/// A one-dimensional array parameter (`text[]`, `bigint[]`, …), quoted and escaped.
public struct PostgresArray: PostgresBindable, Sendable, Equatable {
    public var elements: [String?]
    public init(_ elements: [String?]) { self.elements = elements }
    public init<T: PostgresBindable>(_ values: [T]) { elements = values.map(\.postgresText) }
    public var postgresText: String {
        "{" + elements.map { e -> String in
            guard let e else { return "NULL" }
            return "\"" + e.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}
