import Foundation
import TowerJSON

/// One-off HTTP exchanges of the credential providers (STS, instance metadata, container endpoint),
/// over a fresh libcurl handle. Failures become `CredentialError.providerFailed` naming `provider`.
struct CredentialHTTP {
    /// The largest answer read: credentials documents are a few KiB.
    static let maxResponseBytes = 1 << 20

    let provider: String
    var connectTimeout: Double = 2
    var timeout: Double = 5
    var caBundle: String?

    /// The answer's status and body text; a transport failure throws.
    func exchange(_ method: String, _ url: String, headers: [String] = [], body: String = "",
                  signing: CurlSession.Signing? = nil) throws -> (status: Int, body: String) {
        do {
            let session = try CurlSession(signing: signing, connectTimeout: connectTimeout, caBundle: caBundle,
                                          maxResponseBytes: Self.maxResponseBytes)
            let response = try session.post(url: url, headers: headers, body: Array(body.utf8), timeout: timeout,
                                            interruptible: false, method: method)
            return (response.status, String(decoding: response.body, as: UTF8.self))
        } catch {
            throw CredentialError.providerFailed(provider: provider, detail: "\(method) \(url) failed (\(error.detail))")
        }
    }

    /// Like `exchange`, but a non-2xx status throws (with the start of the body, which carries no secret on errors).
    func require(_ method: String, _ url: String, headers: [String] = [], body: String = "",
                 signing: CurlSession.Signing? = nil) throws -> String {
        let answer = try exchange(method, url, headers: headers, body: body, signing: signing)
        guard (200..<300).contains(answer.status) else {
            throw CredentialError.providerFailed(provider: provider, detail: "\(method) \(url) answered HTTP \(answer.status)")
        }
        return answer.body
    }

    /// Reads the credentials JSON that instance metadata, the container endpoint and credential_process return:
    /// `AccessKeyId`, `SecretAccessKey`, `Token` (or `SessionToken`), `Expiration`.
    static func credentials(json text: String, provider: String) throws -> AWSCredentials {
        let fail = { (detail: String) in CredentialError.providerFailed(provider: provider, detail: detail) }
        guard let json = try? JSONValue.parse(Array(text.utf8)), case .object = json else {
            throw fail("the answer is not a JSON object")
        }
        if let code = json["Code"]?.string, code != "Success" {
            throw fail("the answer's Code is \(code)\(json["Message"]?.string.map { ": \($0)" } ?? "")")
        }
        guard let key = json["AccessKeyId"]?.string, !key.isEmpty, let secret = json["SecretAccessKey"]?.string, !secret.isEmpty else {
            throw fail("the answer lacks AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = json["Expiration"]?.string {
            guard let date = AWSTime.parse(text) else { throw fail("Expiration \(text) is not an ISO-8601 time") }
            expiration = date
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret,
                              sessionToken: json["Token"]?.string ?? json["SessionToken"]?.string, expiration: expiration)
    }
}
