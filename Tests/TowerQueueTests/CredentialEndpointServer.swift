import Foundation

/// A loopback server speaking the documented wire formats of the credential endpoints: EC2 instance metadata
/// (IMDSv2: token PUT, role listing, role credentials JSON), the ECS container endpoint (credentials JSON behind an
/// Authorization token) and STS's AssumeRoleWithWebIdentity (Query API, XML). Each answer issues new credentials
/// (`ASIATEST<n>`) that expire `lifetime` seconds later.
final class CredentialEndpointServer: @unchecked Sendable {
    let http: ScriptedHTTPServer
    private let lock = NSLock()
    private var issued = 0
    private var _lifetime: Double
    private var _failing = false
    static let imdsToken = "imds-session-token-value"
    static let role = "tower-role"
    static let containerAuthorization = "container-auth-token-value"

    init(lifetime: Double) throws {
        _lifetime = lifetime
        http = try ScriptedHTTPServer()
        http.router = { [unowned self] request in self.answer(request) }
    }

    var url: String { http.url }
    /// How many credentials were handed out.
    var issuedCount: Int { lock.withLock { issued } }
    /// While true every endpoint answers HTTP 500.
    var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }

    func stop() { http.stop() }

    /// The secret of the n-th credentials (tests look for it in logs and errors).
    static func secret(_ n: Int) -> String { "secret-value-\(n)-do-not-log" }

    private func issue() -> (key: String, secret: String, token: String, expiration: String) {
        let (n, lifetime) = lock.withLock { issued += 1; return (issued, _lifetime) }
        let expiration = Date(timeIntervalSinceNow: lifetime).formatted(Date.ISO8601FormatStyle())
        return ("ASIATEST\(n)", Self.secret(n), "session-token-\(n)-do-not-log", expiration)
    }

    private func json() -> String {
        let c = issue()
        return #"{"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"\#(c.key)","SecretAccessKey":"\#(c.secret)","Token":"\#(c.token)","Expiration":"\#(c.expiration)"}"#
    }

    private func answer(_ request: ReferenceSigV4.Request) -> ScriptedHTTPServer.Reply? {
        if failing { return .respond(status: 500, body: "internal error") }
        let credentialsPath = "/latest/meta-data/iam/security-credentials/"
        switch (request.method, request.path) {
        case ("PUT", "/latest/api/token"):
            guard request.values("X-aws-ec2-metadata-token-ttl-seconds").first.flatMap(Int.init) != nil else {
                return .respond(status: 400, body: "missing TTL")
            }
            return .respond(status: 200, body: Self.imdsToken)
        case ("GET", credentialsPath), ("GET", credentialsPath + Self.role):
            guard request.values("X-aws-ec2-metadata-token").first == Self.imdsToken else { return .respond(status: 401, body: "") }
            return .respond(status: 200, body: request.path == credentialsPath ? Self.role + "\n" : json())
        case ("GET", "/ecs/credentials"):
            guard request.values("Authorization").first == Self.containerAuthorization else { return .respond(status: 401, body: "{}") }
            return .respond(status: 200, body: json())
        case ("POST", "/"):
            let form = String(decoding: request.body, as: UTF8.self)
            guard form.contains("Action=AssumeRoleWithWebIdentity"), form.contains("WebIdentityToken=") else {
                return .respond(status: 400, body: "<ErrorResponse><Error><Code>InvalidAction</Code><Message>not supported</Message></Error></ErrorResponse>")
            }
            let c = issue()
            return .respond(status: 200, body: """
                <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>\
                <Credentials><AccessKeyId>\(c.key)</AccessKeyId><SecretAccessKey>\(c.secret)</SecretAccessKey>\
                <SessionToken>\(c.token)</SessionToken><Expiration>\(c.expiration)</Expiration></Credentials>\
                </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
                """)
        default:
            return .respond(status: 404, body: "not found")
        }
    }
}
