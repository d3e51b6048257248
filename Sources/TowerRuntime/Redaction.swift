/// Removes credentials from text before it is logged: passwords in URLs
/// (`postgresql://user:***@host/db`), `password=…`-style pairs (libpq keyword strings, query strings)
/// and values of metadata keys that name a secret.
public enum Redaction {
    /// The replacement for a removed secret.
    public static let mask = "***"

    /// Words that mark a key (or a `key=value` pair) as secret, compared case-insensitively.
    static let secretWords = ["password", "passwd", "pwd", "secret", "token", "authorization", "credential", "apikey", "api_key", "sslkey"]

    /// `url` with the password of its user-info replaced: `postgresql://user:***@host/db`.
    public static func url(_ url: String) -> String { scrub(url) }

    /// True when a metadata key names a secret (its value must never be logged).
    public static func isSecretKey(_ key: String) -> Bool {
        // Every log line asks this of each metadata key: ASCII keys are folded and searched byte by byte.
        guard key.utf8.allSatisfy({ $0 < 0x80 }) else {
            let lower = key.lowercased()
            return secretWords.contains { lower.contains($0) }
        }
        let lower = key.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
        return secretWordBytes.contains { word in
            word.count <= lower.count && (0...(lower.count - word.count)).contains { lower[$0 ..< $0 + word.count].elementsEqual(word) }
        }
    }

    private static let secretWordBytes = secretWords.map { Array($0.utf8) }

    /// `text` with every URL password and `secret=value` pair masked. Text without `@` or `=` is returned as is.
    public static func scrub(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "=") }) else { return text }
        let bytes = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if let end = urlPasswordEnd(bytes, userInfoStart: i), let colon = passwordColon(bytes, from: i, to: end) {
                out += bytes[i...colon]
                out += Array(mask.utf8)
                i = end
            } else if let (valueStart, valueEnd) = secretPair(bytes, at: i) {
                out += bytes[i..<valueStart]
                out += Array(mask.utf8)
                i = valueEnd
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// When `start` follows `://`, the index of the last `@` before the URL ends (at a space or a quote).
    /// The last one, not the first before a `/`, so a password with an unescaped `@` or `/` is still masked.
    private static func urlPasswordEnd(_ b: [UInt8], userInfoStart start: Int) -> Int? {
        guard start >= 3, b[start - 3] == UInt8(ascii: ":"), b[start - 2] == UInt8(ascii: "/"), b[start - 1] == UInt8(ascii: "/") else {
            return nil
        }
        var j = start
        var at: Int?
        while j < b.count, !isSpace(b[j]), b[j] != UInt8(ascii: "\""), b[j] != UInt8(ascii: "'"), b[j] != UInt8(ascii: ">") {
            if b[j] == UInt8(ascii: "@") { at = j }
            j += 1
        }
        return at
    }

    /// The `:` between user and password in `b[from..<to]`, if there is a password.
    private static func passwordColon(_ b: [UInt8], from: Int, to: Int) -> Int? {
        guard let colon = b[from..<to].firstIndex(of: UInt8(ascii: ":")), colon + 1 < to else { return nil }
        return colon
    }

    /// At the start of a word naming a secret followed by `=` or `: `, the range of its value.
    private static func secretPair(_ b: [UInt8], at i: Int) -> (Int, Int)? {
        guard i == 0 || !isWordByte(b[i - 1]) else { return nil }
        var j = i
        while j < b.count, isWordByte(b[j]) { j += 1 }
        guard j > i, j < b.count, b[j] == UInt8(ascii: "=") else { return nil }
        let key = String(decoding: b[i..<j], as: UTF8.self)
        guard isSecretKey(key) else { return nil }
        var start = j + 1
        var quote: UInt8?
        if start < b.count, b[start] == UInt8(ascii: "'") || b[start] == UInt8(ascii: "\"") { quote = b[start]; start += 1 }
        var end = start
        while end < b.count {
            let c = b[end]
            if let quote { if c == quote { break } } else if isSpace(c) || c == UInt8(ascii: "&") || c == UInt8(ascii: ";") || c == UInt8(ascii: ",") { break }
            end += 1
        }
        return end > start ? (start, end) : nil
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d }
}
