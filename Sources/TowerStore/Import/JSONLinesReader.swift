import CZlib
import Foundation

/// A file an import could not read as a whole (as opposed to single bad lines, which are rejected and skipped).
public enum ImportFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason) — check the path and permissions"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason) — is the file complete (for .gz, does `gzip -t` accept it)?"
        }
    }
}

/// One line of a JSON Lines file.
public struct JSONLine {
    /// 1-based line number in the (decompressed) file.
    public let number: Int
    /// The line's bytes without its line break; valid only during the callback.
    public let bytes: UnsafeRawBufferPointer
    /// True when the line was longer than `JSONLinesReader.maxLineBytes` (then `bytes` is empty).
    public let isTooLong: Bool

    /// True for an empty or whitespace-only line.
    public var isBlank: Bool { !isTooLong && bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
}

/// Streams the lines of a JSON Lines file, plain or gzip-compressed (`.jsonl` / `.jsonl.gz`).
///
/// zlib's gzread reads both: gzip is recognised from the content, anything else is read as-is.
/// Lines end at `\n` (a `\r` before it is dropped); the last line needs no line break. Memory stays
/// bounded: a line longer than `maxLineBytes` is reported as too long and skipped.
public enum JSONLinesReader {
    /// The longest line accepted (1 MiB).
    public static let maxLineBytes = 1 << 20
    static let chunkBytes = 1 << 18

    /// Calls `body` for each line in order.
    public static func forEachLine(path: String, _ body: (JSONLine) throws -> Void) throws {
        guard let file = gzopen(path, "rb") else {
            let reason = errno == 0 ? "out of memory" : String(cString: strerror(errno))
            throw ImportFileError.cannotOpen(path: path, reason: reason)
        }
        defer { gzclose(file) }
        gzbuffer(file, UInt32(chunkBytes))

        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        var filled = 0          // bytes of `buffer` holding data
        var lineNumber = 0
        var skippingLongLine = false
        var atEOF = false

        while !atEOF {
            if filled == buffer.count {
                // No line break in the whole buffer: grow up to the limit, then skip the rest of the line.
                if buffer.count < maxLineBytes + 1 {
                    buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, maxLineBytes + 1 - buffer.count)))
                } else {
                    if !skippingLongLine {
                        lineNumber += 1
                        try body(JSONLine(number: lineNumber, bytes: UnsafeRawBufferPointer(start: nil, count: 0), isTooLong: true))
                        skippingLongLine = true
                    }
                    filled = 0
                }
            }
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + filled, UInt32($0.count - filled)) }
            if n < 0 || (n == 0 && gzIsTruncated(file)) {
                throw ImportFileError.unreadable(path: path, reason: gzErrorMessage(file))
            }
            if n == 0 { atEOF = true }
            filled += Int(n)

            var consumed = 0
            try buffer.withUnsafeBytes { raw in
                var start = 0
                while start < filled {
                    guard let nl = raw[start..<filled].firstIndex(of: 0x0A) else { break }
                    if skippingLongLine {
                        skippingLongLine = false
                    } else {
                        lineNumber += 1
                        try body(JSONLine(number: lineNumber, bytes: trimmedCR(raw, start, nl), isTooLong: false))
                    }
                    start = nl + 1
                }
                if atEOF, start < filled {
                    if !skippingLongLine {
                        lineNumber += 1
                        try body(JSONLine(number: lineNumber, bytes: trimmedCR(raw, start, filled), isTooLong: false))
                    }
                    start = filled
                }
                consumed = start
            }
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: filled - consumed)
                }
                filled -= consumed
            }
        }
    }

    /// The number of lines (for progress totals): line breaks, plus one for a final unterminated line.
    public static func countLines(path: String) throws -> Int {
        var count = 0
        try forEachLine(path: path) { _ in count += 1 }
        return count
    }

    private static func trimmedCR(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        let stop = end > start && raw[end - 1] == 0x0D ? end - 1 : end
        return UnsafeRawBufferPointer(rebasing: raw[start..<stop])
    }

    /// True when the input ended inside a gzip stream (a truncated `.gz`).
    private static func gzIsTruncated(_ file: gzFile) -> Bool {
        var code: Int32 = 0
        _ = gzerror(file, &code)
        return code != Z_OK
    }

    private static func gzErrorMessage(_ file: gzFile) -> String {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
        if code == Z_ERRNO { return String(cString: strerror(errno)) }
        return message.isEmpty ? "zlib error \(code)" : message
    }
}
