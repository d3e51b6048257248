/// Rows in the text format of `COPY … FROM STDIN` (what `PQConnection.copyIn` streams):
/// tab-separated fields, `\N` for NULL, and backslash escapes for backslash, tab, newline and carriage return.
public enum CopyText {
    /// One row of values in column order, each written as its `postgresText`; nil is NULL. No trailing newline.
    public static func row(_ values: [(any PQBindable)?]) -> String {
        var line = ""
        line.reserveCapacity(values.count * 16)
        for (i, value) in values.enumerated() {
            if i > 0 { line.append("\t") }
            if let value { appendEscaped(value.postgresText, to: &line) } else { line.append("\\N") }
        }
        return line
    }

    /// Appends `text` with COPY's special characters escaped.
    static func appendEscaped(_ text: String, to line: inout String) {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
            line.append(text)
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": line.append("\\\\")
            case "\t": line.append("\\t")
            case "\n": line.append("\\n")
            case "\r": line.append("\\r")
            default: line.unicodeScalars.append(scalar)
            }
        }
    }
}
