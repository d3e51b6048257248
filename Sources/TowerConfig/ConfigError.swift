/// A configuration problem, with what to do about it.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadableEnvFile(path: String)
    case missing(key: String, hint: String)
    case invalid(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .unreadableEnvFile(let path):
            return "cannot read env file \(path): check the path, or run `deploy/local.sh up` to create .local/tower.env"
        case .missing(let key, let hint):
            return "\(key) is not set: \(hint)"
        case .invalid(let key, let value, let expected):
            return "\(key)=\(value) is invalid: expected \(expected)"
        }
    }
}
