import Foundation
import TowerJSON

/// The members of one JSON object line, with typed, validating accessors. `null` counts as absent.
public struct JSONRecord {
    public let members: [String: JSONValue]

    /// Parses one line into an object, or throws the `RecordError` that rejects it.
    public init(line: JSONLine) throws {
        if line.isTooLong { throw RecordError.lineTooLong(limit: JSONLinesReader.maxLineBytes) }
        let value: JSONValue
        do { value = try JSONParser.parse(line.bytes) } catch let e as JSONSyntaxError { throw RecordError.malformedJSON(e) }
        guard case .object(let members) = value else { throw RecordError.notAnObject(kind: value.kind) }
        self.members = members
    }

    public init(members: [String: JSONValue]) { self.members = members }

    private func present(_ key: String) -> JSONValue? {
        guard let v = members[key], v != .null else { return nil }
        return v
    }

    private func required(_ key: String) throws -> JSONValue {
        guard let v = present(key) else { throw RecordError.missingField(key) }
        return v
    }

    /// An int64 id given as a JSON integer or a string of decimal digits (optionally with a leading `-`).
    public func id(_ key: String) throws -> Int64 {
        let text: String
        switch try required(key) {
        case .number(let n): text = n
        case .string(let s): text = s
        case let other: throw RecordError.wrongType(field: key, expected: "an integer or a numeric string", got: other.kind)
        }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw RecordError.wrongType(field: key, expected: "an integer or a numeric string", got: "\"\(text)\"")
        }
        guard let v = Int64(text) else { throw RecordError.idOutOfRange(field: key, value: text) }
        return v
    }

    /// A required string, trimmed of surrounding whitespace, not empty.
    public func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw RecordError.missingField(key) }
        return s
    }

    /// An optional string, trimmed; an empty string counts as absent.
    public func optionalString(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw RecordError.wrongType(field: key, expected: "a string", got: v.kind) }
        let trimmed = Self.trimmed(s)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// An optional array of non-empty strings (trimmed); absent or null gives `[]`.
    public func stringArray(_ key: String) throws -> [String] {
        guard let v = present(key) else { return [] }
        guard case .array(let elements) = v else { throw RecordError.wrongType(field: key, expected: "an array of strings", got: v.kind) }
        return try elements.map { e in
            guard case .string(let s) = e else { throw RecordError.wrongType(field: key, expected: "an array of strings", got: "an element that is \(e.kind)") }
            let trimmed = Self.trimmed(s)
            guard !trimmed.isEmpty else { throw RecordError.invalidValue(field: key, reason: "contains an empty string") }
            return trimmed
        }
    }

    /// `s` without surrounding whitespace; the common case (nothing to trim) skips Foundation's slower path.
    private static func trimmed(_ s: String) -> String {
        let isSpace = { (b: UInt8) in b == 0x20 || (0x09...0x0D).contains(b) || b >= 0x80 }
        guard let first = s.utf8.first, let last = s.utf8.last, isSpace(first) || isSpace(last) else { return s }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An optional finite, non-negative number.
    public func optionalNonNegative(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard case .number(let text) = v, let d = Double(text) else {
            throw RecordError.wrongType(field: key, expected: "a number", got: v.kind)
        }
        guard d.isFinite, d >= 0 else { throw RecordError.invalidValue(field: key, reason: "must be a finite number ≥ 0, got \(text)") }
        return d
    }

    /// An optional boolean.
    public func optionalBool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard case .bool(let b) = v else { throw RecordError.wrongType(field: key, expected: "true or false", got: v.kind) }
        return b
    }

    /// An optional point in time: an ISO-8601 string or integer epoch milliseconds (see `Timestamp`).
    public func optionalTimestamp(_ key: String) throws -> Date? {
        guard let v = present(key) else { return nil }
        do {
            switch v {
            case .string(let s): return try Timestamp.parse(s)
            case .number(let n): return try Timestamp.epochMilliseconds(n)
            default: throw RecordError.wrongType(field: key, expected: "an ISO-8601 string or epoch milliseconds", got: v.kind)
            }
        } catch let e as Timestamp.Invalid {
            throw RecordError.invalidValue(field: key, reason: e.reason)
        }
    }

    /// A required point in time.
    public func timestamp(_ key: String) throws -> Date {
        guard let d = try optionalTimestamp(key) else { throw RecordError.missingField(key) }
        return d
    }
}
