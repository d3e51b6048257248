/// A parsed JSON value. Numbers keep their source text, so integers beyond a Double's precision
/// (int64 ids) stay exact and out-of-range ids can be told apart from malformed ones.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number exactly as written (already checked against JSON's number grammar).
    case number(String)
    case string(String)
    /// A string that is not valid Unicode (invalid UTF-8, a lone surrogate escape): `salvaged` has U+FFFD for
    /// the unreadable parts. Only `parse(_:keepingUndecodableStrings:)` produces it, so one bad string of a
    /// server's reply spoils only the value that holds it.
    case undecodableString(salvaged: String, reason: String)
    case array([JSONValue])
    /// Object members (member names are unique: the parser refuses a repeated one).
    case object([String: JSONValue])

    /// The member `key` of an object; nil for other kinds and missing members.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    /// An object whose values are all strings, as a dictionary.
    public var stringMap: [String: String]? {
        guard case .object(let members) = self else { return nil }
        var map: [String: String] = [:]
        map.reserveCapacity(members.count)
        for (key, value) in members {
            guard let s = value.string else { return nil }
            map[key] = s
        }
        return map
    }

    /// Parses one complete JSON text (`JSONParser`); throws `JSONSyntaxError`. With `keepingUndecodableStrings`,
    /// a string value that is not valid Unicode becomes `.undecodableString` instead of failing the whole text.
    public static func parse(_ bytes: [UInt8], keepingUndecodableStrings: Bool = false) throws -> JSONValue {
        try bytes.withUnsafeBytes { try JSONParser.parse($0, keepingUndecodableStrings: keepingUndecodableStrings) }
    }

    /// A short name of the value's kind, for error messages.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .undecodableString: return "a string that is not valid Unicode"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON syntax error at a byte offset of the parsed text.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String
    /// The text is well-formed JSON here, but the string is not valid Unicode.
    var isUndecodable = false
    /// The member name that appears twice in one object, when that is the error.
    public internal(set) var duplicateName: String? = nil
    public var description: String { "\(message) at byte \(offset + 1)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes (one JSON Lines line at a time). Rejects invalid UTF-8,
/// lone surrogates, control characters in strings, trailing data, a byte order mark, comments, trailing commas,
/// NaN/Infinity, leading zeros and `+` in numbers, a member name repeated within one object (its meaning would
/// depend on the reader), and nesting deeper than `maxDepth`.
public struct JSONParser {
    /// Deepest nesting of arrays and objects accepted (guards the stack against hostile input).
    public static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private let keepUndecodable: Bool
    private var i = 0

    /// Parses one complete JSON text; throws `JSONSyntaxError`. With `keepingUndecodableStrings`, a string value
    /// that is not valid Unicode becomes `JSONValue.undecodableString` (member names must still be valid).
    public static func parse(_ bytes: UnsafeRawBufferPointer, keepingUndecodableStrings: Bool = false) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, keepUndecodable: keepingUndecodableStrings)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.i == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    /// Parses one complete JSON text given as a string.
    public static func parse(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try parse($0) }
    }

    private init(bytes: UnsafeRawBufferPointer, keepUndecodable: Bool) {
        self.bytes = bytes
        self.keepUndecodable = keepUndecodable
    }

    private func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: i, message: message) }
    private func undecodable(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: i, message: message, isUndecodable: true)
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard let c = peek else { throw error("unexpected end of line, expected a value") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return try stringValue()
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character '\(Unicode.Scalar(c))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard peek == expected else { throw error("invalid literal, expected \(word)") }
            i += 1
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        i += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
            let keyOffset = i
            let key = try string()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            i += 1
            skipWhitespace()
            guard members.updateValue(try value(depth: depth), forKey: key) == nil else {
                throw JSONSyntaxError(offset: keyOffset, message: "duplicate member name \"\(key.prefix(64))\"", duplicateName: key)
            }
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"): i += 1; return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        i += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { i += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"): i += 1; return .array(elements)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func number() throws -> String {
        let start = i
        if peek == UInt8(ascii: "-") { i += 1 }
        guard let first = peek, isDigit(first) else { throw error("invalid number") }
        i += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard let d = peek, isDigit(d) else { throw error("invalid number: digits must follow '.'") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard let d = peek, isDigit(d) else { throw error("invalid number: digits must follow the exponent") }
            skipDigits()
        }
        if let c = peek, isDigit(c) { throw error("invalid number: leading zero") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private mutating func skipDigits() { while let c = peek, isDigit(c) { i += 1 } }

    /// A string value; an undecodable one is kept (as `.undecodableString`) when the parser was asked to.
    private mutating func stringValue() throws -> JSONValue {
        let start = i
        do {
            return .string(try string())
        } catch let e as JSONSyntaxError where e.isUndecodable && keepUndecodable {
            i = start
            return .undecodableString(salvaged: try string(salvaging: true), reason: e.description)
        }
    }

    /// A string; with `salvaging`, unreadable parts (invalid UTF-8, lone surrogates) become U+FFFD.
    private mutating func string(salvaging: Bool = false) throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes, so the bytes are the string.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                i += 1
                if salvaging { return String(decoding: raw, as: UTF8.self) }
                guard let s = String(validating: raw, as: UTF8.self) else { i -= 1; throw undecodable("invalid UTF-8 in a string") }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in a string (escape it)") }
            i += 1
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\""):
                if salvaging { i += 1; return String(decoding: out, as: UTF8.self) }
                guard let s = String(validating: out, as: UTF8.self) else { throw undecodable("invalid UTF-8 in a string") }
                i += 1
                return s
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = peek else { throw error("unterminated escape") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: String(try unicodeEscape(salvaging: salvaging)).utf8)
                default: throw error("invalid escape '\\\(Unicode.Scalar(e))'")
                }
            default:
                if c < 0x20 { throw error("control character in a string (escape it)") }
                out.append(c)
                i += 1
            }
        }
        throw error("unterminated string")
    }

    /// The scalar of `XXXX` after `\u` (and of a following low surrogate for a pair); with `salvaging`, a lone
    /// surrogate is U+FFFD (and the escape after a high one is read again on its own).
    private mutating func unicodeEscape(salvaging: Bool) throws -> Character {
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                if salvaging { return "\u{FFFD}" }
                throw undecodable("lone high surrogate in \\u escape")
            }
            let next = i
            i += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                if salvaging { i = next; return "\u{FFFD}" }
                throw undecodable("invalid low surrogate in \\u escape")
            }
            return Character(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!)
        }
        guard let scalar = Unicode.Scalar(high) else {
            if salvaging { return "\u{FFFD}" }
            throw undecodable("lone low surrogate in \\u escape")
        }
        return Character(scalar)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}
