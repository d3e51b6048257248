import Foundation
import TowerConfig

/// AWS STS's Query API (form-encoded POST, XML answer): `AssumeRoleWithWebIdentity` (unsigned) and
/// `AssumeRole` (signed with the source credentials).
struct STS {
    /// Where requests go: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the regional endpoint.
    let endpoint: String
    let region: String
    let caBundle: String?

    init(_ source: ConfigSource, region: String?) {
        let region = region ?? "us-east-1"
        self.region = region
        endpoint = source.endpointOverride(service: "STS")
            ?? "https://sts.\(region).amazonaws.com\(region.hasPrefix("cn-") ? ".cn" : "")"
        caBundle = source["AWS_CA_BUNDLE"]
    }

    func assumeRoleWithWebIdentity(roleARN: String, sessionName: String, token: String, provider: String) throws -> AWSCredentials {
        try call(["Action": "AssumeRoleWithWebIdentity", "RoleArn": roleARN, "RoleSessionName": sessionName, "WebIdentityToken": token],
                 sessionToken: nil, provider: provider, signing: nil)
    }

    func assumeRole(roleARN: String, sessionName: String, externalID: String?, with credentials: AWSCredentials,
                    provider: String) throws -> AWSCredentials {
        var parameters = ["Action": "AssumeRole", "RoleArn": roleARN, "RoleSessionName": sessionName]
        if let externalID { parameters["ExternalId"] = externalID }
        return try call(parameters, sessionToken: credentials.sessionToken, provider: provider,
                        signing: .init(region: region, service: "sts", credentials: credentials))
    }

    private func call(_ parameters: [String: String], sessionToken token: String?, provider: String,
                      signing: CurlSession.Signing?) throws -> AWSCredentials {
        var fields = parameters
        fields["Version"] = "2011-06-15"
        let body = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.formEncode($0.value))" }.joined(separator: "&")
        var headers = ["Content-Type: application/x-www-form-urlencoded; charset=utf-8", "Accept: text/xml"]
        if let token { headers.append("X-Amz-Security-Token: \(token)") }
        let http = CredentialHTTP(provider: provider, caBundle: caBundle)
        let answer = try http.exchange("POST", endpoint + "/", headers: headers, body: body, signing: signing)
        let action = parameters["Action"] ?? "STS"
        guard (200..<300).contains(answer.status) else {
            let code = Self.element("Code", in: answer.body) ?? "HTTP \(answer.status)"
            let message = Self.element("Message", in: answer.body) ?? "no error message"
            throw CredentialError.providerFailed(provider: provider, detail: "STS \(action) at \(endpoint) failed with \(code): \(message)")
        }
        guard let key = Self.element("AccessKeyId", in: answer.body), let secret = Self.element("SecretAccessKey", in: answer.body),
              let session = Self.element("SessionToken", in: answer.body) else {
            throw CredentialError.providerFailed(provider: provider, detail: "STS \(action) at \(endpoint) answered without Credentials")
        }
        guard let expiration = Self.element("Expiration", in: answer.body).flatMap(AWSTime.parse) else {
            throw CredentialError.providerFailed(provider: provider, detail: "STS \(action) answered without a valid Expiration")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: session, expiration: expiration)
    }

    /// The text of the first `<name>…</name>`, XML entities decoded.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `application/x-www-form-urlencoded` value encoding (RFC 3986 unreserved characters kept).
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(.init(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension ConfigSource {
    /// The endpoint override for `service` (its SDK identifier upper-cased: SQS, STS) as the SDKs define it:
    /// AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
    public func endpointOverride(service: String) -> String? {
        if self["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true" { return nil }
        return (self["AWS_ENDPOINT_URL_\(service)"] ?? self["AWS_ENDPOINT_URL"]).flatMap { $0.isEmpty ? nil : $0 }
    }
}
