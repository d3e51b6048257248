import Foundation
import Hummingbird
import TowerJSON
import TowerRanking

/// An error answer: `{"code": "...", "message": "..."}` with its status; the message says what to fix.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra response headers (Retry-After).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        // Algolia clients read `message` and `status`; Tower's clients read `code` and `message`.
        var response = JSONBody.response(status: status, capacity: 128 + message.utf8.count) { w in
            w.object { w in w.field("code", code); w.field("message", message); w.field("status", status.code) }
        }
        response.headers = headers
        return response
    }

    static func badParameter(_ name: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: "\(name): \(message)")
    }

    static let overloaded = APIError(.serviceUnavailable, code: "overloaded",
                                     message: "the server is at capacity: retry after the Retry-After delay", headers: [.retryAfter: "1"])

    /// The answer for any error a handler threw.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case is BlockingPool.Overloaded: return overloaded
        case let error as RankingError: return from(error)
        case let error as HTTPError:
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "bad_request"
            let message = error.status == .notFound ? "no such route: see docs/openapi.yaml for the routes" : (error.body ?? "\(error.status)")
            return APIError(error.status, code: code, message: message)
        default:
            return APIError(.internalServerError, code: "internal", message: "internal error: see the server log")
        }
    }

    static func from(_ error: RankingError) -> APIError {
        switch error {
        case .invalidPage, .invalidPerPage, .invalidPriceRange, .invalidDiversity:
            return APIError(.badRequest, code: "invalid_parameter", message: error.description)
        case .productNotFound:
            return APIError(.notFound, code: "product_not_found", message: error.description)
        case .productHasNoVector:
            return APIError(.conflict, code: "product_has_no_vector", message: error.description)
        case .databaseUnavailable, .poolExhausted, .timedOut:
            return APIError(.serviceUnavailable, code: "unavailable", message: "the database is unavailable or busy: retry later",
                            headers: [.retryAfter: "1"])
        case .schemaMissing, .permissionDenied, .database:
            return APIError(.internalServerError, code: "database", message: "database error: see the server log")
        }
    }
}
