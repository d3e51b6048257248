/// Everything the SQS client can throw. Each message says what to do next.
///
/// `isConfigurationError` marks problems a retry cannot fix (credentials, endpoint, TLS trust, a queue
/// that does not exist): the daemon reports them and exits non-zero. `isRetryable` marks transient
/// ones (throttling, HTTP 5xx, network); the client has already retried those `AWS_MAX_ATTEMPTS` times.
public enum SQSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `QueueDoesNotExist` / `AWS.SimpleQueueService.NonExistentQueue`; `queue` is the URL or name asked for.
    case queueDoesNotExist(queue: String)
    /// The service refused the credentials or the signature, or the caller lacks permission.
    case accessDenied(code: String, message: String)
    /// libcurl could not use the endpoint URL (unsupported scheme, malformed URL).
    case invalidEndpoint(endpoint: String, detail: String)
    /// The linked libcurl cannot do what the client needs (AWS SigV4 needs libcurl 7.75 or newer).
    case unsupportedLibcurl(detail: String)
    /// The endpoint's HTTPS certificate could not be verified.
    case tlsVerification(endpoint: String, detail: String)
    /// The service throttled the request on every attempt.
    case throttled(action: String, code: String)
    /// Any other SQS error response (`__type` / `x-amzn-query-error`).
    case service(action: String, code: String, message: String, httpStatus: Int)
    /// An HTTP error status whose body is not an SQS error (a proxy, a load balancer, a wrong endpoint).
    case unexpectedHTTP(action: String, httpStatus: Int, detail: String)
    /// The request did not complete (DNS, connect, timeout, reset); `retryable` is false for
    /// failures a retry cannot fix.
    case network(action: String, endpoint: String, detail: String, retryable: Bool)
    /// A 2xx answer that is not the JSON the action returns.
    case malformedResponse(action: String, detail: String)
    /// The caller passed something SQS would reject (batch size, empty id); a programming error.
    case invalidArgument(String)
    /// `SQSInterrupter.interrupt()` stopped a receive.
    case interrupted

    /// Error codes meaning the queue does not exist (JSON `__type` and query-protocol spellings).
    static let missingQueueCodes: Set<String> = ["QueueDoesNotExist", "NonExistentQueue", "AWS.SimpleQueueService.NonExistentQueue"]
    /// Error codes meaning the credentials, signature or permissions are wrong.
    static let accessCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "SignatureDoesNotMatch",
        "UnrecognizedClientException", "IncompleteSignature", "MissingAuthenticationToken", "InvalidSecurity",
        "ExpiredToken", "ExpiredTokenException", "RequestExpired", "AuthFailure", "OptInRequired",
        "InvalidAccessKeyId", "KMS.AccessDeniedException",
    ]
    /// Error codes meaning "slow down".
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "KMS.ThrottlingException",
    ]

    /// True when retrying cannot help and the configuration must change.
    public var isConfigurationError: Bool {
        switch self {
        case .queueDoesNotExist, .accessDenied, .invalidEndpoint, .unsupportedLibcurl, .tlsVerification:
            return true
        default: return false
        }
    }

    /// Error codes meaning the session token expired: the credentials must be refreshed.
    static let expiredTokenCodes: Set<String> = ["ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"]

    /// True when the service rejected the credentials as expired.
    public var isExpiredToken: Bool {
        if case .accessDenied(let code, _) = self { return Self.expiredTokenCodes.contains(code) }
        return false
    }

    /// True for transient failures (throttling, HTTP 5xx, network).
    public var isRetryable: Bool {
        switch self {
        case .throttled: return true
        case .service(_, _, _, let status), .unexpectedHTTP(_, let status, _): return status >= 500 || status == 429
        case .network(_, _, _, let retryable): return retryable
        default: return false
        }
    }

    /// The SQS error code, when the service sent one.
    public var code: String? {
        switch self {
        case .queueDoesNotExist: return "QueueDoesNotExist"
        case .accessDenied(let code, _), .throttled(_, let code), .service(_, let code, _, _): return code
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .queueDoesNotExist(let queue):
            return "the queue \(queue) does not exist: check TOWER_QUEUE_URL / TOWER_DLQ_URL against AWS_REGION and AWS_ENDPOINT_URL_SQS, or create the queue"
        case .accessDenied(let code, let message):
            return "the queue service refused the request (\(code): \(message)): check the credentials (towerd --check names their provider), AWS_REGION, the IAM policy (docs/operations.md) and the system clock"
        case .invalidEndpoint(let endpoint, let detail):
            return "cannot use the queue endpoint \(endpoint) (\(detail)): set AWS_ENDPOINT_URL_SQS to an http:// or https:// URL, or unset it for AWS"
        case .unsupportedLibcurl(let detail):
            return "the installed libcurl cannot sign SQS requests (\(detail)): install libcurl 7.75 or newer (7.88 is tested) built with AWS SigV4 support"
        case .tlsVerification(let endpoint, let detail):
            return "cannot verify the HTTPS certificate of \(endpoint) (\(detail)): install the CA certificates (ca-certificates) or point AWS_CA_BUNDLE at the right PEM file; verification is never disabled"
        case .throttled(let action, let code):
            return "\(action) was throttled on every attempt (\(code)): lower the request rate or raise AWS_MAX_ATTEMPTS; callers back off and retry"
        case .service(let action, let code, let message, let status):
            return "\(action) failed with \(code) (HTTP \(status)): \(message)"
        case .unexpectedHTTP(let action, let status, let detail):
            return "\(action) got HTTP \(status) without an SQS error body (\(detail)): check that AWS_ENDPOINT_URL_SQS points at an SQS-compatible server"
        case .network(let action, let endpoint, let detail, _):
            return "\(action) could not reach the queue service at \(endpoint) (\(detail)): check the network and AWS_ENDPOINT_URL_SQS; callers back off and retry"
        case .malformedResponse(let action, let detail):
            return "\(action) got an answer that is not SQS JSON (\(detail)): check that AWS_ENDPOINT_URL_SQS points at an SQS-compatible server"
        case .invalidArgument(let detail):
            return "invalid SQS request: \(detail)"
        case .interrupted:
            return "the receive was interrupted (shutting down)"
        }
    }
}
