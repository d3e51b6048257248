import Foundation

/// The output of `tower evaluate`: one JSON object, a readable table, or a self-contained HTML page.
public struct EvaluationReport: Sendable {
    /// The split time as ISO 8601 UTC.
    public var splitAt: String
    public var windowSeconds: Double
    /// The trained model's version; nil when only the baselines were scored.
    public var towerVersion: String?
    public var all: EvaluationSet
    /// The `--new-items-only` subset, when asked for.
    public var newItems: EvaluationSet?

    public init(splitAt: String, windowSeconds: Double, towerVersion: String?, all: EvaluationSet, newItems: EvaluationSet?) {
        self.splitAt = splitAt
        self.windowSeconds = windowSeconds
        self.towerVersion = towerVersion
        self.all = all
        self.newItems = newItems
    }

    /// `{"test_events": N, "split_at": "...", "window": "2d", "models": {"tower": {"recall@10": x, …}, …},
    /// "standard_errors": {"tower": {"recall@10": se, …}, …}, "with_history": {"test_events": N, "models": {…},
    /// "standard_errors": {…}}, "without_history": {…}, "skipped": {"ease": "reason"}}`, plus
    /// `"new_items_only": {"test_events": N, "models": {…}, …}` when that subset was scored.
    public func json() -> String {
        func object(_ pairs: [(key: String, value: Double)]) -> String {
            "{" + pairs.map { "\"\($0.key)\": \(Self.number($0.value))" }.joined(separator: ", ") + "}"
        }
        func models(_ set: EvaluationSet, _ part: (ModelEvaluation) -> RankingMetrics) -> String {
            "\"models\": {" + set.models.map { "\"\($0.name)\": " + object(ModelEvaluation.summary(part($0), candidates: $0.candidates)) }
                .joined(separator: ", ") + "}, \"standard_errors\": {"
                + set.models.map { "\"\($0.name)\": " + object(part($0).standardErrors) }.joined(separator: ", ") + "}"
        }
        func body(_ set: EvaluationSet) -> String {
            let candidates = set.candidateRecall.map { ", \"candidates\": " + object($0.summary) } ?? ""
            return "\(models(set, \.metrics)), "
                + "\"with_history\": {\"test_events\": \(set.testEvents - set.withoutHistory), \(models(set, \.withHistory))}, "
                + "\"without_history\": {\"test_events\": \(set.withoutHistory), \(models(set, \.withoutHistory))}, "
                + skipped(set) + candidates
        }
        func skipped(_ set: EvaluationSet) -> String {
            "\"skipped\": {" + set.skipped.map { "\"\($0.name)\": \"\(Self.jsonEscape($0.reason))\"" }.joined(separator: ", ") + "}"
        }
        var out = "{\"test_events\": \(all.testEvents), \"split_at\": \"\(splitAt)\", \"window\": \"\(Self.duration(windowSeconds))\", \(body(all))"
        if let newItems { out += ", \"new_items_only\": {\"test_events\": \(newItems.testEvents), \(body(newItems))}" }
        return out + "}"
    }

    static func jsonEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    static let baselinesOnly = "no trained model: baselines only"

    /// A plain-text table per evaluated set.
    public func table() -> String {
        var lines = ["split at \(splitAt), window \(Self.duration(windowSeconds)), " + (towerVersion.map { "tower model \($0)" } ?? Self.baselinesOnly)]
        for (title, set) in [("all test events", all)] + (newItems.map { [("new items only", $0)] } ?? []) {
            lines.append("")
            lines.append("\(title): \(set.testEvents) events (\(set.withoutHistory) without history, ranked by the served popularity)")
            for (part, metrics) in [("all", \ModelEvaluation.metrics), ("with history", \.withHistory), ("without history", \.withoutHistory)] {
                lines.append("")
                lines.append("\(part) (± standard error clustered by customer):")
                let header = ["model", "recall@10", "recall@20", "ndcg@10", "ndcg@20", "mrr", "coverage@20"]
                lines.append(header.enumerated().map { $0 == 0 ? $1.padding(toLength: 22, withPad: " ", startingAt: 0) : Self.pad($1, 18) }.joined())
                for m in set.models {
                    let values = ModelEvaluation.summary(m[keyPath: metrics], candidates: m.candidates)
                    let errors = m[keyPath: metrics].standardErrors
                    lines.append(m.name.padding(toLength: 22, withPad: " ", startingAt: 0) + values.enumerated().map { i, v in
                        Self.pad(String(format: "%.4f", v.value) + (i < errors.count ? String(format: " ±%.4f", errors[i].value) : ""), 18)
                    }.joined())
                }
            }
            for s in set.skipped { lines.append("\(s.name) skipped: \(s.reason)") }
            if let c = set.candidateRecall {
                lines.append("")
                lines.append("tower candidates (test events with history; share of events whose product is a candidate):")
                lines.append(c.summary.map { "\($0.key) " + String(format: $0.key == "mean_candidates" ? "%.0f" : "%.4f", $0.value) }
                    .joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A self-contained page: the metrics tables and an SVG chart of Recall@K for K = 1…50.
    public func html() -> String {
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
        func chart(_ set: EvaluationSet) -> String {
            let width = 720.0, height = 360.0, left = 60.0, bottom = 40.0, top = 20.0, right = 140.0
            let maxK = 50
            let curves = set.models.map { m in (1...maxK).map { m.metrics.recall(at: $0) } }
            let yMax = max(0.01, (curves.flatMap { $0 }.max() ?? 0) * 1.1)
            func x(_ k: Int) -> Double { left + Double(k - 1) / Double(maxK - 1) * (width - left - right) }
            func y(_ v: Double) -> Double { height - bottom - v / yMax * (height - top - bottom) }
            var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
            svg += "<line x1=\"\(left)\" y1=\"\(y(0))\" x2=\"\(width - right)\" y2=\"\(y(0))\" stroke=\"#333\"/>"
            svg += "<line x1=\"\(left)\" y1=\"\(y(0))\" x2=\"\(left)\" y2=\"\(top)\" stroke=\"#333\"/>"
            for k in [1, 10, 20, 30, 40, 50] {
                svg += "<text x=\"\(x(k))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\" font-size=\"11\">\(k)</text>"
            }
            for i in 0...4 {
                let v = yMax * Double(i) / 4
                svg += "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" text-anchor=\"end\" font-size=\"11\">\(String(format: "%.3f", v))</text>"
                svg += "<line x1=\"\(left)\" y1=\"\(y(v))\" x2=\"\(width - right)\" y2=\"\(y(v))\" stroke=\"#eee\"/>"
            }
            svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" font-size=\"12\">K</text>"
            svg += "<text x=\"14\" y=\"\(height / 2)\" transform=\"rotate(-90 14 \(height / 2))\" text-anchor=\"middle\" font-size=\"12\">Recall@K</text>"
            for (i, (m, curve)) in zip(set.models, curves).enumerated() {
                let color = colors[i % colors.count]
                let points = curve.enumerated().map { String(format: "%.1f,%.1f", x($0.offset + 1), y($0.element)) }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>"
                let ly = top + 18 * Double(i)
                svg += "<rect x=\"\(width - right + 12)\" y=\"\(ly)\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
                svg += "<text x=\"\(width - right + 30)\" y=\"\(ly + 10)\" font-size=\"12\">\(Self.escape(m.name))</text>"
            }
            return svg + "</svg>"
        }
        func table(_ set: EvaluationSet) -> String {
            var t = "<table><tr><th>model</th>" + ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "mrr", "coverage@20"].map { "<th>\($0)</th>" }.joined() + "</tr>"
            for m in set.models {
                t += "<tr><td>\(Self.escape(m.name))</td>" + m.summary.map { "<td>\(String(format: "%.4f", $0.value))</td>" }.joined() + "</tr>"
            }
            return t + "</table>"
        }
        var body = "<h1>Tower offline evaluation</h1><p>Split at \(Self.escape(splitAt)), window \(Self.duration(windowSeconds)), "
            + (towerVersion.map { "tower model <code>\(Self.escape($0))</code>" } ?? Self.baselinesOnly) + ".</p>"
        for (title, set) in [("All test events", all)] + (newItems.map { [("New items only", $0)] } ?? []) {
            body += "<h2>\(title): \(set.testEvents) events</h2><p>\(set.withoutHistory) events had no history and are ranked by the served popularity for every personalised model.</p>"
            body += table(set) + "<h3>Recall@K</h3>" + chart(set)
        }
        return """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tower evaluation</title>
        <style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
        td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
        </head><body>\(body)</body></html>
        """
    }

    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.6f", v) : "null" }

    static func pad(_ s: String, _ width: Int = 13) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func duration(_ seconds: Double) -> String {
        if seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        if seconds.truncatingRemainder(dividingBy: 3_600) == 0 { return "\(Int(seconds / 3_600))h" }
        return "\(Int(seconds))s"
    }
}
