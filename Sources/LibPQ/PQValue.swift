import Foundation

/// A Swift value that can be sent as a statement parameter (in PostgreSQL's text format).
public protocol PQBindable {
    /// The parameter's text representation, as PostgreSQL's input function reads it.
    var postgresText: String { get }
}

extension String: PQBindable { public var postgresText: String { self } }
extension Int: PQBindable { public var postgresText: String { String(self) } }
extension Int64: PQBindable { public var postgresText: String { String(self) } }
extension Int32: PQBindable { public var postgresText: String { String(self) } }
extension Double: PQBindable { public var postgresText: String { String(self) } }
extension Float: PQBindable { public var postgresText: String { String(self) } }
extension Bool: PQBindable { public var postgresText: String { self ? "t" : "f" } }

extension Date: PQBindable {
    /// Microsecond-precision UTC timestamp, e.g. `2024-05-01 12:00:00.123456+00`.
    public var postgresText: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int64((micros / 1_000_000).rounded(.down))
        let frac = Int64(micros) - seconds * 1_000_000
        var t = time_t(seconds)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        // Built by hand: String(format:) costs several microseconds per call, which shows in bulk COPY.
        var text = ""
        text.reserveCapacity(29)
        func append(_ value: Int, width: Int, then separator: String) {
            let digits = String(value)
            if digits.utf8.count < width { text += String(repeating: "0", count: width - digits.utf8.count) }
            text += digits
            text += separator
        }
        append(Int(tmv.tm_year) + 1900, width: 4, then: "-")
        append(Int(tmv.tm_mon) + 1, width: 2, then: "-")
        append(Int(tmv.tm_mday), width: 2, then: " ")
        append(Int(tmv.tm_hour), width: 2, then: ":")
        append(Int(tmv.tm_min), width: 2, then: ":")
        append(Int(tmv.tm_sec), width: 2, then: ".")
        append(Int(frac), width: 6, then: "+00")
        return text
    }
}

/// A parameter that is sent in PostgreSQL's binary format, so the server does not parse text (worth it for
/// large numeric payloads such as many vectors). Its statement must give the parameter a type (`$1::float4[]`);
/// `postgresText` remains the form used where binary is not possible.
public protocol PQBinaryBindable: PQBindable {
    /// The value in the binary format of the parameter's type.
    var postgresBinary: [UInt8] { get }
}

/// A pgvector `vector` parameter (`[1,2,3]`).
public struct PQVector: PQBindable, Sendable, Equatable {
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
public struct PQArray: PQBindable, Sendable, Equatable {
    public var elements: [String?]
    public init(_ elements: [String?]) { self.elements = elements }
    public init<T: PQBindable>(_ values: [T]) { elements = values.map(\.postgresText) }
    public var postgresText: String {
        "{" + elements.map { e -> String in
            guard let e else { return "NULL" }
            // Most elements (ids, names) need no escaping; replacingOccurrences costs microseconds each.
            guard e.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) else { return "\"" + e + "\"" }
            return "\"" + e.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}
