import Foundation

/// A Prometheus metrics registry rendered in the text exposition format 0.0.4.
///
/// Thread-safe: metrics are updated from any thread (each family has its own lock) and `render()`
/// may run concurrently on the exporter's thread. Families render in registration order, series in
/// label order. Label values are fixed per call site (event types, reasons, actions): never put
/// unbounded values such as ids in labels.
public final class MetricsRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var families: [MetricFamily] = []

    public init() {}

    /// A monotonically increasing counter (name should end in `_total`).
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labelNames: labels))
    }

    /// A value that goes up and down.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labelNames: labels))
    }

    /// A histogram over fixed, increasing upper bounds (`+Inf` is added).
    public func histogram(_ name: String, help: String, buckets: [Double], labels: [String] = []) -> Histogram {
        register(Histogram(name: name, help: help, labelNames: labels, buckets: buckets))
    }

    /// Every family in the text format, ending with a newline.
    public func render() -> String {
        lock.lock()
        let current = families
        lock.unlock()
        var text = ""
        for family in current { family.render(into: &text) }
        return text
    }

    private func register<F: MetricFamily>(_ family: F) -> F {
        lock.lock()
        defer { lock.unlock() }
        precondition(!families.contains { $0.name == family.name }, "metric \(family.name) registered twice")
        families.append(family)
        return family
    }
}

/// Shared machinery of one metric family: name, help, label names and per-label-set series.
public class MetricFamily: @unchecked Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    let type: String
    let lock = NSLock()

    init(name: String, help: String, labelNames: [String], type: String) {
        precondition(Self.isValidName(name), "invalid metric name \(name)")
        precondition(labelNames.allSatisfy { Self.isValidName($0) && !$0.hasPrefix("__") && $0 != "le" }, "invalid label names \(labelNames)")
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.type = type
    }

    func render(into text: inout String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
        lock.lock()
        defer { lock.unlock() }
        renderSeries(into: &text)
    }

    /// Writes the samples; called with `lock` held.
    func renderSeries(into text: inout String) {}

    func checkLabels(_ values: [String]) {
        precondition(values.count == labelNames.count, "\(name) takes labels \(labelNames), got \(values.count) values")
    }

    /// `{a="x",b="y"}` (empty without labels), with `extra` (such as `le`) appended.
    func labelText(_ values: [String], extra: (String, String)? = nil) -> String {
        var pairs = zip(labelNames, values).map { ($0, $1) }
        if let extra { pairs.append(extra) }
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0)=\"\(Self.escapeLabel($1))\"" }.joined(separator: ",") + "}"
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first == ":" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == ":" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A sample value as Prometheus writes it: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// A counter family. `inc(by: 0, labels:)` makes a series visible at zero.
public final class Counter: ScalarFamily, @unchecked Sendable {
    init(name: String, help: String, labelNames: [String]) {
        super.init(name: name, help: help, labelNames: labelNames, type: "counter")
    }

    public func inc(by amount: Double = 1, labels: [String] = []) {
        precondition(amount >= 0, "a counter only goes up")
        accumulate(amount, labels: labels)
    }
}

/// A gauge family.
public final class Gauge: ScalarFamily, @unchecked Sendable {
    init(name: String, help: String, labelNames: [String]) {
        super.init(name: name, help: help, labelNames: labelNames, type: "gauge")
    }

    public func set(_ value: Double, labels: [String] = []) {
        checkLabels(labels)
        lock.lock()
        values[labels] = value
        lock.unlock()
    }

    public func add(_ amount: Double, labels: [String] = []) { accumulate(amount, labels: labels) }
}

/// Counters and gauges: one value per label set.
public class ScalarFamily: MetricFamily, @unchecked Sendable {
    var values: [[String]: Double] = [:]

    func accumulate(_ amount: Double, labels: [String]) {
        checkLabels(labels)
        lock.lock()
        values[labels, default: 0] += amount
        lock.unlock()
    }

    public func value(labels: [String] = []) -> Double {
        lock.lock()
        defer { lock.unlock() }
        return values[labels] ?? 0
    }

    override func renderSeries(into text: inout String) {
        for key in values.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            text += "\(name)\(labelText(key)) \(Self.format(values[key]!))\n"
        }
    }
}

/// A histogram family with fixed buckets: `_bucket{le=…}` (cumulative), `_sum` and `_count` per series.
public final class Histogram: MetricFamily, @unchecked Sendable {
    /// Upper bounds, increasing, without `+Inf`.
    public let buckets: [Double]
    private var series: [[String]: (counts: [UInt64], sum: Double, count: UInt64)] = [:]

    /// Seconds from 1 ms to 10 s, for batch and request latencies.
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        precondition(!buckets.isEmpty && zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 } && buckets.allSatisfy(\.isFinite),
                     "histogram buckets must be finite and increasing")
        self.buckets = buckets
        super.init(name: name, help: help, labelNames: labelNames, type: "histogram")
    }

    public func observe(_ value: Double, labels: [String] = []) {
        checkLabels(labels)
        let slot = buckets.firstIndex { value <= $0 } ?? buckets.count
        lock.lock()
        var entry = series[labels] ?? (counts: [UInt64](repeating: 0, count: buckets.count + 1), sum: 0, count: 0)
        entry.counts[slot] += 1
        entry.sum += value
        entry.count += 1
        series[labels] = entry
        lock.unlock()
    }

    /// Observations so far (for tests and summaries).
    public func count(labels: [String] = []) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return series[labels]?.count ?? 0
    }

    override func renderSeries(into text: inout String) {
        for key in series.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let entry = series[key]!
            var cumulative: UInt64 = 0
            for (i, bound) in (buckets + [.infinity]).enumerated() {
                cumulative += entry.counts[i]
                text += "\(name)_bucket\(labelText(key, extra: ("le", Self.format(bound)))) \(cumulative)\n"
            }
            text += "\(name)_sum\(labelText(key)) \(Self.format(entry.sum))\n"
            text += "\(name)_count\(labelText(key)) \(entry.count)\n"
        }
    }
}
