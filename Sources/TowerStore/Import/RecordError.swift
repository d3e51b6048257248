import TowerJSON
/// Why one input line was rejected. Descriptions name the field and say what was expected.
public enum RecordError: Error, Equatable, CustomStringConvertible {
    case malformedJSON(JSONSyntaxError)
    case notAnObject(kind: String)
    case lineTooLong(limit: Int)
    case missingField(String)
    case wrongType(field: String, expected: String, got: String)
    case idOutOfRange(field: String, value: String)
    case invalidValue(field: String, reason: String)
    case unknownEventName(String, known: [String])

    public var description: String {
        switch self {
        case .malformedJSON(let e): return "malformed JSON: \(e)"
        case .notAnObject(let kind): return "expected a JSON object, got \(kind)"
        case .lineTooLong(let limit): return "line longer than \(limit) bytes"
        case .missingField(let f): return "missing required field \"\(f)\""
        case .wrongType(let f, let expected, let got): return "\"\(f)\" must be \(expected), got \(got)"
        case .idOutOfRange(let f, let v): return "\"\(f)\" \(v) is out of the int64 range"
        case .invalidValue(let f, let reason): return "\"\(f)\" \(reason)"
        case .unknownEventName(let name, let known):
            return "unknown event_name \"\(name)\" (known: \(known.joined(separator: ", ")); TOWER_EVENT_WEIGHTS defines them)"
        }
    }
}
