import Foundation
import TowerConfig

/// Where and how the client talks to SQS. Real AWS SQS and SQS-compatible servers (ministack,
/// LocalStack, ElasticMQ, moto) differ only in these values.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | AWS_REGION (or AWS_DEFAULT_REGION, or the profile's `region`) | signing region | required |
/// | AWS_ENDPOINT_URL_SQS (or AWS_ENDPOINT_URL; both ignored with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true) | endpoint override | `https://sqs.REGION.amazonaws.com` |
/// | AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, … | credentials, from the SDKs' chain (`CredentialChain`) | required |
/// | AWS_CA_BUNDLE | PEM file of trusted CAs for HTTPS | the system store |
/// | AWS_MAX_ATTEMPTS | attempts per request, first included | 4 |
/// | TOWER_SQS_CONNECT_TIMEOUT | connect timeout | 3s |
/// | TOWER_SQS_REQUEST_TIMEOUT | total timeout per request, added to a receive's wait time | 10s |
///
/// HTTPS certificates and host names are always verified.
public struct SQSConfiguration: Sendable {
    public var region: String
    /// Base URL requests are POSTed to (no trailing slash).
    public var endpoint: String
    /// Shared by every client made from this configuration (copies share it too), refreshed in the background.
    public var credentials: CredentialSource
    /// Seconds.
    public var connectTimeout: Double
    /// Seconds; a long-polling receive may take its wait time on top of this.
    public var requestTimeout: Double
    public var retry: SQSRetryPolicy
    /// PEM file of trusted certificate authorities, or nil for the system store.
    public var caBundle: String?

    /// With fixed credentials. - Throws: `ConfigError.invalid` for a malformed region or endpoint.
    public init(region: String, endpoint: String? = nil, credentials: AWSCredentials,
                connectTimeout: Double = 3, requestTimeout: Double = 10,
                retry: SQSRetryPolicy = SQSRetryPolicy(), caBundle: String? = nil) throws {
        try self.init(region: region, endpoint: endpoint, credentials: CredentialSource(credentials), connectTimeout: connectTimeout,
                      requestTimeout: requestTimeout, retry: retry, caBundle: caBundle)
    }

    /// - Throws: `ConfigError.invalid` for a malformed region or endpoint.
    public init(region: String, endpoint: String? = nil, credentials: CredentialSource,
                connectTimeout: Double = 3, requestTimeout: Double = 10,
                retry: SQSRetryPolicy = SQSRetryPolicy(), caBundle: String? = nil) throws {
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw ConfigError.invalid(key: "AWS_REGION", value: region, expected: "a region name such as us-east-1")
        }
        let base = endpoint ?? Self.defaultEndpoint(region: region)
        try Self.validateURL(base, key: "AWS_ENDPOINT_URL_SQS", example: "https://sqs.\(region).amazonaws.com")
        self.region = region
        self.endpoint = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.credentials = credentials
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.caBundle = caBundle
    }

    /// Reads the keys in the table above; resolves the credentials through the chain.
    /// - Throws: `ConfigError` for missing or malformed values, `CredentialError`.
    public init(_ source: ConfigSource) throws {
        guard let region = try source["AWS_REGION"] ?? source["AWS_DEFAULT_REGION"] ?? CredentialChain.profileRegion(source) else {
            throw ConfigError.missing(key: "AWS_REGION",
                                      hint: "set the queue's region, or region in the AWS profile (any value such as us-east-1 for a local SQS-compatible server)")
        }
        try self.init(region: region,
                      endpoint: source.endpointOverride(service: "SQS"),
                      credentials: CredentialSource(source, region: region),
                      connectTimeout: source.duration("TOWER_SQS_CONNECT_TIMEOUT", default: 3),
                      requestTimeout: source.duration("TOWER_SQS_REQUEST_TIMEOUT", default: 10),
                      retry: SQSRetryPolicy(maxAttempts: source.int("AWS_MAX_ATTEMPTS", default: 4)),
                      caBundle: source["AWS_CA_BUNDLE"])
    }

    /// AWS's regional SQS endpoint.
    public static func defaultEndpoint(region: String) -> String {
        "https://sqs.\(region).amazonaws.com\(region.hasPrefix("cn-") ? ".cn" : "")"
    }

    /// The validated queue URL stored under `key` (for example TOWER_QUEUE_URL).
    /// - Throws: `ConfigError.missing` or `ConfigError.invalid`.
    public static func requireQueueURL(_ source: ConfigSource, key: String = "TOWER_QUEUE_URL") throws -> String {
        let url = try source.require(key, hint: "set the SQS queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/tower-events")
        try validateURL(url, key: key, example: "https://sqs.us-east-1.amazonaws.com/123456789012/tower-events")
        return url
    }

    /// Checks that `url` is an absolute http(s) URL with a host and without embedded credentials.
    /// - Throws: `ConfigError.invalid` naming `key`.
    public static func validateURL(_ url: String, key: String, example: String) throws {
        let parts = URLComponents(string: url)
        let hasCredentials = parts?.user != nil || parts?.password != nil
        guard let parts, let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parts.host, !host.isEmpty, !hasCredentials, parts.query == nil, parts.fragment == nil else {
            throw ConfigError.invalid(key: key, value: hasCredentials ? "(a URL with credentials, not shown)" : url,
                                      expected: "an http:// or https:// URL without credentials, such as \(example)")
        }
    }
}
