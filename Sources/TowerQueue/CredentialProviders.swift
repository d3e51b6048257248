import Foundation
import TowerConfig

/// One source of AWS credentials. `load()` fetches fresh credentials each time it is called.
public protocol CredentialProvider: Sendable {
    /// Which provider this is, for logs and `towerd --check` (never a secret).
    var name: String { get }
    /// - Throws: `CredentialError` saying what to fix.
    func load() throws -> AWSCredentials
}

/// Credentials known up front: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the optional AWS_SESSION_TOKEN,
/// or keys a program passed in.
struct FixedCredentials: CredentialProvider {
    let credentials: AWSCredentials
    var name = "environment (AWS_ACCESS_KEY_ID)"
    func load() throws -> AWSCredentials { credentials }
}

/// STS AssumeRoleWithWebIdentity with the token in a file (EKS IAM roles for service accounts); the file is read
/// again on every refresh, since the cluster rotates it.
struct WebIdentityCredentials: CredentialProvider {
    let tokenFile: String
    let roleARN: String
    let sessionName: String
    let sts: STS
    var name: String { "web identity (\(roleARN))" }

    func load() throws -> AWSCredentials {
        guard let data = FileManager.default.contents(atPath: tokenFile),
              let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw CredentialError.providerFailed(provider: name, detail: "cannot read a token from AWS_WEB_IDENTITY_TOKEN_FILE \(tokenFile)")
        }
        return try sts.assumeRoleWithWebIdentity(roleARN: roleARN, sessionName: sessionName, token: token, provider: name)
    }
}

/// The ECS container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, or
/// AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback or ECS/EKS link-local address), with the
/// Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every refresh) or _TOKEN.
struct ContainerCredentials: CredentialProvider {
    let url: String
    let tokenFile: String?
    let token: String?
    var name: String { "container credentials (\(url))" }

    /// Hosts the SDKs allow over plain http for FULL_URI.
    static let allowedHTTPHosts: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    static func url(_ source: ConfigSource) throws -> String? {
        if let relative = source["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            return "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = source["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else { return nil }
        guard let parts = URLComponents(string: full), let scheme = parts.scheme?.lowercased(), let host = parts.host,
              scheme == "https" || (scheme == "http" && allowedHTTPHosts.contains(host) || (scheme == "http" && host.hasPrefix("127."))) else {
            throw CredentialError.providerFailed(provider: "container credentials",
                                                 detail: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback address or 169.254.170.2/169.254.170.23 (got \(full))")
        }
        return full
    }

    func load() throws -> AWSCredentials {
        var headers: [String] = []
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile),
                  let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw CredentialError.providerFailed(provider: name, detail: "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile)")
            }
            headers.append("Authorization: \(value)")
        } else if let token {
            headers.append("Authorization: \(token)")
        }
        let http = CredentialHTTP(provider: name, connectTimeout: 2, timeout: 5)
        return try CredentialHTTP.credentials(json: http.require("GET", url, headers: headers), provider: name)
    }
}

/// EC2 instance metadata, IMDSv2 only: a session token from `PUT /latest/api/token`, then the role name and its
/// credentials. One-second timeouts, so off EC2 the chain gives up quickly. (Inside containers on EC2 the instance's
/// metadata hop limit must be 2 or more for the PUT's answer to arrive.)
struct InstanceMetadataCredentials: CredentialProvider {
    /// `http://169.254.169.254`, or AWS_EC2_METADATA_SERVICE_ENDPOINT.
    let endpoint: String
    var name: String { "EC2 instance metadata (\(endpoint))" }

    static let tokenTTLSeconds = 21_600

    func load() throws -> AWSCredentials {
        let http = CredentialHTTP(provider: name, connectTimeout: 1, timeout: 2)
        let token = try http.require("PUT", endpoint + "/latest/api/token",
                                     headers: ["X-aws-ec2-metadata-token-ttl-seconds: \(Self.tokenTTLSeconds)"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let header = ["X-aws-ec2-metadata-token: \(token)"]
        let base = endpoint + "/latest/meta-data/iam/security-credentials/"
        let listing = try http.exchange("GET", base, headers: header)
        guard listing.status != 404 else {
            throw CredentialError.providerFailed(provider: name, detail: "the instance has no IAM role (attach an instance profile)")
        }
        guard (200..<300).contains(listing.status),
              let role = listing.body.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !role.isEmpty else {
            throw CredentialError.providerFailed(provider: name, detail: "GET \(base) answered HTTP \(listing.status) without a role name")
        }
        return try CredentialHTTP.credentials(json: http.require("GET", base + role, headers: header), provider: name)
    }
}

/// A `credential_process` command of a profile, run with /bin/sh; its stdout is the credentials JSON (Version 1).
struct ProcessCredentials: CredentialProvider {
    let command: String
    let profile: String
    var name: String { "credential_process of profile \(profile)" }

    func load() throws -> AWSCredentials {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CredentialError.providerFailed(provider: name, detail: "cannot run the command (\(error.localizedDescription))")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CredentialError.providerFailed(provider: name, detail: "the command exited with status \(process.terminationStatus)")
        }
        return try CredentialHTTP.credentials(json: String(decoding: data, as: UTF8.self), provider: name)
    }
}
