import Foundation
import TowerConfig

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
            let provider = FixedCredentials(credentials: AWSCredentials(accessKeyID: key, secretAccessKey: secret,
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
