/// Why credentials could not be resolved or refreshed. Messages name the setting to fix and never
/// contain a secret, a session token or a web identity token.
public enum CredentialError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No provider of the chain had credentials; `tried` says, per provider, why not.
    case noCredentials(tried: [String])
    /// A provider is configured but failed (an unreachable endpoint, an STS error, a bad answer).
    case providerFailed(provider: String, detail: String)
    /// A shared credentials or config file does not parse.
    case malformedFile(path: String, line: Int, detail: String)
    /// A profile is missing or incomplete.
    case profile(name: String, detail: String)

    public var description: String {
        switch self {
        case .noCredentials(let tried):
            return "no AWS credentials found; tried, in order: \(tried.joined(separator: "; ")). Set AWS_ACCESS_KEY_ID and "
                + "AWS_SECRET_ACCESS_KEY, AWS_PROFILE with ~/.aws/credentials, a web identity (AWS_WEB_IDENTITY_TOKEN_FILE and "
                + "AWS_ROLE_ARN), or run with an ECS task role or an EC2 instance role (docs/operations.md)"
        case .providerFailed(let provider, let detail):
            return "cannot get AWS credentials from \(provider): \(detail)"
        case .malformedFile(let path, let line, let detail):
            return "\(path) line \(line): \(detail): fix the file (INI sections such as [default] or [profile NAME], then key = value lines)"
        case .profile(let name, let detail):
            return "AWS profile \(name): \(detail)"
        }
    }
}
