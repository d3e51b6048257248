import CDispatch
import Foundation
import Logging
import Synchronization
import TowerConfig
import TowerJSON

/// A swift-log handler writing one JSON object per line:
/// `{"ts":"2026-01-02T03:04:05.678Z","level":"info","label":"towerd","msg":"…",<metadata>}`.
///
/// Metadata is flattened into the object (nested dictionaries as dotted keys, `batch.size`; a key
/// that collides with `ts`, `level`, `label`, `msg` or `at`, or with `error` when an error is attached, gets a `_` prefix). Numbers and booleans logged
/// as `.stringConvertible` stay JSON numbers and booleans. An attached error becomes `"error"`; level error and
/// above also carry `"at":"File.swift:42"`.
/// Every string passes through `Redaction` and values of secret-named keys are masked, so credentials
/// cannot reach the log. When stdout is the systemd journal, each line starts with the syslog
/// priority `<N>` so `journalctl -p err` works.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    private let output: LogOutput

    public init(label: String, level: Logger.Level = .info, output: LogOutput = .standardOutput,
                metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        var w = JSONWriter(capacity: 256)
        if output.journal { w.appendRaw("<\(Self.syslogPriority(event.level))>") }
        w.object { w in
            w.field("ts", Self.timestamp())
            w.field("level", event.level.rawValue)
            w.field("label", label)
            w.field("msg", Redaction.scrub(event.message.description))
            if let error = event.error { w.field("error", Redaction.scrub(String(describing: error))) }
            if event.level >= .error { w.field("at", "\(event.file.split(separator: "/").last ?? Substring(event.file)):\(event.line)") }
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                let taken = Self.reserved.contains(key) || (key == "error" && event.error != nil)
                Self.append(key: taken ? "_" + key : key, value: value, to: &w)
            }
        }
        w.appendRaw("\n")
        output.write(w.bytes)
    }

    /// The log level named by `text` (TOWER_LOG_LEVEL): trace, debug, info, notice, warning, error, critical.
    /// - Throws: `ConfigError.invalid`.
    public static func level(_ text: String, key: String = "TOWER_LOG_LEVEL") throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigError.invalid(key: key, value: text, expected: "one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    /// Makes every `Logger` in the process use this handler on stdout at `level`. Call once, first thing.
    public static func bootstrap(level: Logger.Level, output: LogOutput = .standardOutput) {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, output: output) }
    }

    /// The syslog priority of a level (journald reads it from the `<N>` prefix).
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    private static let reserved: Set<String> = ["ts", "level", "label", "msg", "at"]

    private static func append(key: String, value: Logger.Metadata.Value, to w: inout JSONWriter) {
        if case .dictionary(let nested) = value {
            for (child, childValue) in nested.sorted(by: { $0.key < $1.key }) { append(key: key + "." + child, value: childValue, to: &w) }
            return
        }
        w.key(key)
        if Redaction.isSecretKey(key) {
            w.string(Redaction.mask)
        } else {
            appendValue(value, to: &w)
        }
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to w: inout JSONWriter) {
        switch value {
        case .string(let s):
            w.string(Redaction.scrub(s))
        case .stringConvertible(let v):
            switch v {
            case let b as Bool: w.bool(b)
            case let i as any BinaryInteger: w.raw("\(i)")
            case let d as Double where d.isFinite: w.double(d)
            case let f as Float where f.isFinite: w.double(Double(f))
            default: w.string(Redaction.scrub(v.description))
            }
        case .array(let items):
            w.array { w in
                for item in items {
                    if case .dictionary = item { w.string(Redaction.scrub(item.description)) } else { appendValue(item, to: &w) }
                }
            }
        case .dictionary:
            w.string(Redaction.scrub(value.description))
        }
    }

    /// Now as `yyyy-MM-ddTHH:mm:ss.SSSZ` (UTC), without a formatter object.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}

/// Where log lines go: one `write` per line under a lock, so lines from several threads never interleave.
public final class LogOutput: Sendable {
    /// True when lines get the `<N>` syslog-priority prefix.
    public let journal: Bool
    private let sink: @Sendable ([UInt8]) -> Void
    private let lock = Mutex(())

    /// A custom destination (tests, files); `sink` gets one complete line (newline included) per call.
    public init(journal: Bool, sink: @escaping @Sendable ([UInt8]) -> Void) {
        self.journal = journal
        self.sink = sink
    }

    /// stdout, with the journal prefix when stdout is the journal stream named by `JOURNAL_STREAM`.
    public static let standardOutput = LogOutput(journal: stdoutIsJournal(ProcessInfo.processInfo.environment)) { line in
        var bytes = line[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }

    func write(_ line: [UInt8]) {
        lock.withLock { _ in sink(line) }
    }

    /// True when `JOURNAL_STREAM` (`DEVICE:INODE`, set by systemd) names the file stdout is open on.
    public static func stdoutIsJournal(_ environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDOUT_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
