import CCurl
import Foundation
import TowerJSON

/// Turns failed exchanges into `SQSError`, independent of how each SQS-compatible server spells errors.
enum SQSResponseError {
    /// The error codes an error answer carries: `__type` (after any `com.amazonaws.sqs#` prefix),
    /// `x-amzn-query-error` (before `;Sender`) and `x-amzn-errortype` (before `:`).
    static func codes(typeField: String?, queryError: String?, errorType: String?) -> [String] {
        let candidates = [
            typeField.map { type in type.lastIndex(of: "#").map { String(type[type.index(after: $0)...]) } ?? type },
            queryError.map { String($0.prefix { $0 != ";" }) },
            errorType.map { String($0.prefix { $0 != ":" }) },
        ]
        return candidates.compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The error for a non-2xx answer.
    static func fromResponse(_ response: CurlSession.Response, action: String, queue: String) -> SQSError {
        let json = try? JSONValue.parse(response.body)
        let codes = codes(typeField: json?["__type"]?.string, queryError: response.queryError, errorType: response.errorType)
        guard let primary = codes.first else {
            let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            return .unexpectedHTTP(action: action, httpStatus: response.status, detail: text.isEmpty ? "empty body" : text)
        }
        let message = json?["message"]?.string ?? json?["Message"]?.string ?? ""
        if codes.contains(where: SQSError.missingQueueCodes.contains) { return .queueDoesNotExist(queue: queue) }
        if codes.contains(where: SQSError.accessCodes.contains) { return .accessDenied(code: primary, message: message) }
        if response.status == 429 || codes.contains(where: SQSError.throttlingCodes.contains) {
            return .throttled(action: action, code: primary)
        }
        return .service(action: action, code: primary, message: message, httpStatus: response.status)
    }

    /// The error for an exchange that got no HTTP answer.
    static func fromTransport(_ failure: CurlSession.Failure, action: String, endpoint: String) -> SQSError {
        switch failure.code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidEndpoint(endpoint: endpoint, detail: failure.detail)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return .tlsVerification(endpoint: endpoint, detail: failure.detail)
        case CURLE_UNKNOWN_OPTION, CURLE_NOT_BUILT_IN, CURLE_FAILED_INIT:
            return .unsupportedLibcurl(detail: failure.detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_PARTIAL_FILE, CURLE_OPERATION_TIMEDOUT,
             CURLE_SSL_CONNECT_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_HTTP2,
             CURLE_HTTP2_STREAM, CURLE_ABORTED_BY_CALLBACK:
            return .network(action: action, endpoint: endpoint, detail: failure.detail, retryable: true)
        default:
            return .network(action: action, endpoint: endpoint, detail: failure.detail, retryable: false)
        }
    }
}
