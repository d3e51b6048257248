import TowerEvents
import TowerJSON

/// An error that rejects one input line (and only that line): a stable `code` and an explanation.
public protocol LineRejection: Error, CustomStringConvertible {
    var code: String { get }
}

/// The event contract's rejections, with the codes the daemon's dead letters carry.
extension EventRejection: LineRejection {}

/// Why one catalog line was rejected. Descriptions name the field and say what was expected.
public enum RecordError: LineRejection, Equatable {
    case malformedJSON(JSONSyntaxError)
    case notAnObject(kind: String)
    case lineTooLong(limit: Int)
    case missingField(String)
    case wrongType(field: String, expected: String, got: String)
    case idOutOfRange(field: String, value: String)
    case invalidValue(field: String, reason: String)

    public var code: String {
        switch self {
        case .malformedJSON, .notAnObject: return "malformed_json"
        case .lineTooLong: return "too_large"
        case .missingField: return "missing_field"
        case .wrongType: return "wrong_type"
        case .idOutOfRange: return "id_out_of_range"
        case .invalidValue: return "invalid_value"
        }
    }

    public var description: String {
        switch self {
        case .malformedJSON(let e): return "malformed JSON: \(e)"
        case .notAnObject(let kind): return "expected a JSON object, got \(kind)"
        case .lineTooLong(let limit): return "line longer than \(limit) bytes"
        case .missingField(let f): return "missing required field \"\(f)\""
        case .wrongType(let f, let expected, let got): return "\"\(f)\" must be \(expected), got \(got)"
        case .idOutOfRange(let f, let v): return "\"\(f)\" \(v) is out of the int64 range"
        case .invalidValue(let f, let reason): return "\"\(f)\" \(reason)"
        }
    }
}
