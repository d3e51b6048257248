import Foundation
import TowerConfig

/// A named profile of the shared files (AWS_PROFILE, else `default`), resolved as the SDKs do: `role_arn` with
/// `source_profile` (STS AssumeRole signed with the source profile's credentials, chains allowed) or
/// `web_identity_token_file`; else static keys from the credentials file; else `credential_process`; else static
/// keys from the config file. The files are read again on every refresh.
struct ProfileCredentials: CredentialProvider {
    let profile: String
    let source: ConfigSource
    let region: String?
    var name: String { "profile \(profile) (shared credentials/config files)" }

    /// How many `source_profile` hops a role chain may take.
    static let maxChain = 5

    func load() throws -> AWSCredentials {
        try resolve(profile, files: SharedConfigFiles(source), visited: [])
    }

    private func resolve(_ name: String, files: SharedConfigFiles, visited: [String]) throws -> AWSCredentials {
        guard let settings = files.profile(name) else {
            throw CredentialError.profile(name: name, detail: "not found in \(files.credentialsPath) or \(files.configPath)")
        }
        guard visited.count < Self.maxChain, !visited.contains(name) else {
            throw CredentialError.profile(name: name, detail: "source_profile chain loops or is longer than \(Self.maxChain): \((visited + [name]).joined(separator: " → "))")
        }
        let sessionName = settings["role_session_name"] ?? "tower-\(ProcessInfo.processInfo.processIdentifier)"
        let sts = STS(source, region: region ?? settings["region"])
        if let role = settings["role_arn"] {
            if let tokenFile = settings["web_identity_token_file"] {
                return try WebIdentityCredentials(tokenFile: tokenFile, roleARN: role, sessionName: sessionName, sts: sts).load()
            }
            guard let sourceProfile = settings["source_profile"] else {
                throw CredentialError.profile(name: name, detail: "role_arn needs source_profile or web_identity_token_file (credential_source is not supported)")
            }
            // A profile that is its own source uses its static keys to assume its role.
            let base = sourceProfile == name ? try staticKeys(name, settings) : try resolve(sourceProfile, files: files, visited: visited + [name])
            guard let base else { throw CredentialError.profile(name: name, detail: "source_profile \(name) has no aws_access_key_id") }
            return try sts.assumeRole(roleARN: role, sessionName: sessionName, externalID: settings["external_id"], with: base,
                                      provider: "profile \(name) (assume role \(role))")
        }
        if files.hasCredentialsFileKeys(name), let keys = try staticKeys(name, settings) { return keys }
        if let command = settings["credential_process"] { return try ProcessCredentials(command: command, profile: name).load() }
        if let keys = try staticKeys(name, settings) { return keys }
        throw CredentialError.profile(name: name, detail: "has no aws_access_key_id, role_arn or credential_process")
    }

    private func staticKeys(_ name: String, _ settings: [String: String]) throws -> AWSCredentials? {
        guard let key = settings["aws_access_key_id"] else { return nil }
        guard let secret = settings["aws_secret_access_key"], !secret.isEmpty, !key.isEmpty else {
            throw CredentialError.profile(name: name, detail: "aws_access_key_id without aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: settings["aws_session_token"])
    }
}

/// The SDKs' default credential provider chain, in order: environment → web identity token file → shared files
/// profile → ECS container credentials → EC2 instance metadata (IMDSv2).
public enum CredentialChain {
    /// The first provider with credentials, and those credentials.
    /// - Throws: `CredentialError.noCredentials` listing what was tried, or the error of a provider that is
    ///   configured but failed (the chain does not fall through a configured provider, as in the SDKs).
    public static func resolve(_ source: ConfigSource, region: String?) throws -> (provider: any CredentialProvider, credentials: AWSCredentials) {
        var tried: [String] = []
        // 1. Environment.
        let key = nonEmpty(source["AWS_ACCESS_KEY_ID"]), secret = nonEmpty(source["AWS_SECRET_ACCESS_KEY"])
        if let key, let secret {
            let provider = EnvironmentCredentials(credentials: AWSCredentials(accessKeyID: key, secretAccessKey: secret,
                                                                              sessionToken: nonEmpty(source["AWS_SESSION_TOKEN"])))
            return (provider, provider.credentials)
        }
        if key != nil || secret != nil {
            throw CredentialError.providerFailed(provider: "environment", detail: "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither")
        }
        tried.append("environment (AWS_ACCESS_KEY_ID not set)")
        // 2. Web identity.
        if let tokenFile = nonEmpty(source["AWS_WEB_IDENTITY_TOKEN_FILE"]) {
            guard let role = nonEmpty(source["AWS_ROLE_ARN"]) else {
                throw CredentialError.providerFailed(provider: "web identity", detail: "AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN")
            }
            let provider = WebIdentityCredentials(tokenFile: tokenFile, roleARN: role,
                                                  sessionName: nonEmpty(source["AWS_ROLE_SESSION_NAME"]) ?? "tower-\(ProcessInfo.processInfo.processIdentifier)",
                                                  sts: STS(source, region: region))
            return (provider, try provider.load())
        }
        tried.append("web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)")
        // 3. Shared files.
        let files = try SharedConfigFiles(source)
        let explicit = nonEmpty(source["AWS_PROFILE"])
        let profile = explicit ?? "default"
        if files.profile(profile) != nil {
            let provider = ProfileCredentials(profile: profile, source: source, region: region)
            return (provider, try provider.load())
        }
        if explicit != nil {
            throw CredentialError.profile(name: profile, detail: "AWS_PROFILE names it, but neither \(files.credentialsPath) nor \(files.configPath) has it")
        }
        tried.append("profile default (not in \(files.credentialsPath) or \(files.configPath))")
        // 4. Container credentials.
        if let url = try ContainerCredentials.url(source) {
            let provider = ContainerCredentials(url: url, tokenFile: nonEmpty(source["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]),
                                                token: nonEmpty(source["AWS_CONTAINER_AUTHORIZATION_TOKEN"]))
            return (provider, try provider.load())
        }
        tried.append("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set)")
        // 5. Instance metadata.
        if source["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            tried.append("EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)")
        } else {
            let endpoint = nonEmpty(source["AWS_EC2_METADATA_SERVICE_ENDPOINT"]).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
                ?? "http://169.254.169.254"
            let provider = InstanceMetadataCredentials(endpoint: endpoint)
            do {
                return (provider, try provider.load())
            } catch let error as CredentialError {
                guard case .providerFailed(_, let detail) = error else { throw error }
                tried.append("EC2 instance metadata (\(detail))")
            }
        }
        throw CredentialError.noCredentials(tried: tried)
    }

    /// The region of the profile the chain would use (AWS_PROFILE, else default), for when AWS_REGION is not set.
    public static func profileRegion(_ source: ConfigSource) throws -> String? {
        try SharedConfigFiles(source).profile(nonEmpty(source["AWS_PROFILE"]) ?? "default")?["region"]
    }

    private static func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
}
