import Foundation

/// A progress reporter for long work: a redrawn bar with rate and ETA on a terminal,
/// plain periodic lines (every few seconds) otherwise. Writes to stderr.
public final class ProgressBar {
    private let label: String
    private let total: Int?
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let isTTY = isatty(STDERR_FILENO) != 0
    public private(set) var done = 0
    /// Extra text shown after the rate (for example the current loss).
    public var detail = ""

    public init(_ label: String, total: Int?, unit: String = "rows") {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// Advances by `n` and redraws when due.
    public func advance(by n: Int = 1) {
        done += n
        let now = Date()
        if now.timeIntervalSince(lastDraw) >= (isTTY ? 0.1 : 5) { draw(now: now, final: false); lastDraw = now }
    }

    /// Draws the final state and ends the line.
    public func finish() { draw(now: Date(), final: true) }

    private func draw(now: Date, final: Bool) {
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        var line = "\(label): \(done)"
        if let total, total > 0 {
            let frac = min(1, Double(done) / Double(total))
            if isTTY {
                let width = 30, filled = Int(frac * Double(width))
                line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] \(done)/\(total)"
            } else {
                line += "/\(total)"
            }
            line += String(format: " %.0f%%", frac * 100)
            if !final, rate > 0 { line += " ETA " + ProgressBar.format(seconds: Double(total - done) / rate) }
        }
        line += String(format: " %.0f %@/s", rate, unit)
        if !detail.isEmpty { line += " \(detail)" }
        if final { line += " in " + ProgressBar.format(seconds: elapsed) }
        FileHandle.standardError.write(((isTTY ? "\r\u{1B}[K" : "") + line + (isTTY && !final ? "" : "\n")).data(using: .utf8)!)
    }

    static func format(seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
            : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }
}
