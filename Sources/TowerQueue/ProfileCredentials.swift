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
