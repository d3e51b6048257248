/// A compact JSON writer appending UTF-8 to a byte array (RFC 8259 escaping; no whitespace).
/// Used for SQS requests and for log lines; much cheaper than `JSONEncoder` on a hot path.
///
///     var w = JSONWriter()
///     w.object { w in w.field("QueueUrl", url); w.field("MaxNumberOfMessages", 10) }
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Writes `{ … }`; `body` writes the fields.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        container(UInt8(ascii: "{"), UInt8(ascii: "}"), body)
    }

    /// Writes `[ … ]`; `body` writes the elements.
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        container(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    private mutating func container(_ open: UInt8, _ close: UInt8, _ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(open)
        needsComma = false
        body(&self)
        bytes.append(close)
        needsComma = true
    }

    /// Writes an object key; the next write is its value.
    public mutating func key(_ key: String) {
        separate()
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    public mutating func int<I: BinaryInteger>(_ value: I) { raw(String(value)) }

    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }

    /// A finite number as Swift prints it (`0.5`, `1e-07`); null for NaN or infinity, which JSON lacks.
    public mutating func double(_ value: Double) { raw(value.isFinite ? "\(value)" : "null") }

    /// Writes already-valid JSON text (a number, `true`, a nested document) as the next value.
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
        needsComma = true
    }

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field<I: BinaryInteger>(_ name: String, _ value: I) { key(name); int(value) }
    public mutating func field(_ name: String, _ values: [String]) { key(name); array { w in for v in values { w.string(v) } } }
    /// A string-to-string object, keys sorted for a stable output.
    public mutating func field(_ name: String, _ map: [String: String]) {
        key(name)
        object { w in for (k, v) in map.sorted(by: { $0.key < $1.key }) { w.field(k, v) } }
    }

    /// Appends text outside the JSON structure (such as a `<6>` prefix or a newline).
    public mutating func appendRaw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ source: UnsafeBufferPointer<UInt8>) {
        var plain = 0
        for (i, c) in source.enumerated() {
            let escape: String?
            switch c {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0a: escape = "\\n"
            case 0x0d: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0..<0x20: escape = "\\u00" + (c < 0x10 ? "0" : "") + String(c, radix: 16)
            // U+2028 and U+2029 (E2 80 A8/A9) are valid JSON but break JavaScript line handling.
            case 0xE2 where i + 2 < source.count && source[i + 1] == 0x80 && (source[i + 2] == 0xA8 || source[i + 2] == 0xA9):
                escape = source[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
            default: escape = nil
            }
            guard let escape else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[plain..<i]))
            bytes.append(contentsOf: escape.utf8)
            plain = i + (c == 0xE2 ? 3 : 1)
        }
        if plain < source.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[plain...])) }
    }
}
