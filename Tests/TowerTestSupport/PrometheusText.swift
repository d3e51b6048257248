/// A Prometheus text exposition (format 0.0.4) read back: its families and samples, so tests compare what
/// Prometheus sees (names, types, labels, values) rather than how a library spells a number.
public struct PrometheusText {
    /// One family: its `# TYPE`, the label names its series carry (`le` of histogram buckets aside) and, for a
    /// histogram, its bucket upper bounds (`+Inf` included).
    public struct Family: Equatable, CustomStringConvertible {
        public var type: String
        public var labels: Set<String>
        public var buckets: [Double]

        public init(_ type: String, labels: Set<String> = [], buckets: [Double] = []) {
            self.type = type
            self.labels = labels
            self.buckets = buckets
        }

        public var description: String { "\(type) \(labels.sorted())\(buckets.isEmpty ? "" : " \(buckets)")" }
    }

    /// One sample line.
    public struct Sample {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public private(set) var families: [String: Family] = [:]
    public private(set) var samples: [Sample] = []

    /// Parses `text`; a line it cannot read is a test failure waiting to happen, so it stops the test.
    public init(_ text: String) {
        for line in text.split(separator: "\n") where !line.isEmpty {
            let parts = line.split(separator: " ")
            if line.hasPrefix("# TYPE "), parts.count == 4 {
                families[String(parts[2]), default: Family(String(parts[3]))].type = String(parts[3])
            } else if !line.hasPrefix("#") {
                guard let sample = Self.sample(Substring(line)) else { preconditionFailure("not a sample line: \(line)") }
                samples.append(sample)
            }
        }
        for sample in samples {
            let family = familyName(of: sample.name)
            var labels = sample.labels
            if families[family]?.type == "histogram", sample.name.hasSuffix("_bucket"), let le = labels.removeValue(forKey: "le") {
                let bound = le == "+Inf" ? Double.infinity : Double(le) ?? .nan
                if !(families[family]?.buckets.contains(bound) ?? false) { families[family]?.buckets.append(bound) }
            }
            families[family, default: Family("untyped")].labels.formUnion(labels.keys)
        }
        for name in families.keys { families[name]?.buckets.sort() }
    }

    /// The value of the series `name` with exactly `labels`; nil when it is absent.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private func familyName(of sample: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if families[base]?.type == "histogram" { return base }
        }
        return sample
    }

    /// `name{a="x",b="y"} value` (the label values unescaped).
    private static func sample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let c = rest.first, c != "\"" {
                    rest = rest.dropFirst()
                    if c == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(c)
                    }
                }
                guard !rest.isEmpty else { return nil }
                rest = rest.dropFirst()
                labels[key.hasPrefix(",") ? String(key.dropFirst()) : key] = value
            }
            rest = rest.dropFirst()
        }
        let number = rest.trimmingPrefix(" ").prefix { $0 != " " }
        let value = number == "+Inf" ? Double.infinity : number == "-Inf" ? -Double.infinity : Double(number)
        return value.map { Sample(name: name, labels: labels, value: $0) }
    }
}
