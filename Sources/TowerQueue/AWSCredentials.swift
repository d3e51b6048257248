import TowerConfig

/// AWS credentials for request signing. `description` never shows the secret or the token.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Set for temporary credentials (STS); sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`.
    /// - Throws: `SQSError.missingCredentials` when the key or the secret is absent.
    public init(_ source: ConfigSource) throws {
        guard let key = source["AWS_ACCESS_KEY_ID"], let secret = source["AWS_SECRET_ACCESS_KEY"] else {
            throw SQSError.missingCredentials
        }
        self.init(accessKeyID: key, secretAccessKey: secret, sessionToken: source["AWS_SESSION_TOKEN"])
    }

    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: ***\(sessionToken == nil ? "" : ", sessionToken: ***"))"
    }
}
