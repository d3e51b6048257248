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
/// | TOWER_ALLOW_INSECURE_QUEUE | `1`: allow an `http://` endpoint on another host (it sends the session token and messages in clear text) | refused |
///
/// HTTPS certificates and host names are always verified. `http://` is accepted for loopback endpoints only
/// (localhost, 127.0.0.0/8, ::1: a local SQS-compatible server), unless TOWER_ALLOW_INSECURE_QUEUE=1.
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
                retry: SQSRetryPolicy = SQSRetryPolicy(), caBundle: String? = nil, allowInsecureHTTP: Bool = false) throws {
        try self.init(region: region, endpoint: endpoint, credentials: CredentialSource(credentials), connectTimeout: connectTimeout,
                      requestTimeout: requestTimeout, retry: retry, caBundle: caBundle, allowInsecureHTTP: allowInsecureHTTP)
    }

    /// - Parameter allowInsecureHTTP: accept an `http://` endpoint on a host other than loopback (TOWER_ALLOW_INSECURE_QUEUE).
    /// - Throws: `ConfigError.invalid` for a malformed region or endpoint, or a non-loopback `http://` endpoint.
    public init(region: String, endpoint: String? = nil, credentials: CredentialSource,
                connectTimeout: Double = 3, requestTimeout: Double = 10,
                retry: SQSRetryPolicy = SQSRetryPolicy(), caBundle: String? = nil, allowInsecureHTTP: Bool = false) throws {
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw ConfigError.invalid(key: "AWS_REGION", value: region, expected: "a region name such as us-east-1")
        }
        let base = endpoint ?? Self.defaultEndpoint(region: region)
        try Self.validateURL(base, key: "AWS_ENDPOINT_URL_SQS", example: "https://sqs.\(region).amazonaws.com")
        if !allowInsecureHTTP, let parts = URLComponents(string: base), parts.scheme?.lowercased() == "http",
           !Self.isLoopback(host: parts.host ?? "") {
            throw ConfigError.invalid(key: "AWS_ENDPOINT_URL_SQS", value: base, expected: """
                an https:// URL: over http:// to another host the session token and the events travel in clear text \
                (http:// is accepted for localhost and 127.0.0.1; set TOWER_ALLOW_INSECURE_QUEUE=1 to allow it anyway, on a trusted network)
                """)
        }
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
                      caBundle: source["AWS_CA_BUNDLE"],
                      allowInsecureHTTP: source["TOWER_ALLOW_INSECURE_QUEUE"] == "1")
    }

    /// True for `localhost` and loopback addresses (127.0.0.0/8, ::1), where http:// never leaves the machine.
    static func isLoopback(host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, h, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
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
