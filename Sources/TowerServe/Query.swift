import Foundation
import Hummingbird
import TowerRanking

/// Typed, range-checked reading of query parameters: a bad value becomes a 400 naming the parameter,
/// before anything reaches the ranking library (and so SQL).
struct Query {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    func string(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let raw = parameters[name[...]] else { return nil }
        let value = String(raw)
        guard !value.isEmpty, value.count <= maxLength, !value.contains("\u{0}") else {
            throw APIError.badParameter(name, "give a non-empty value of at most \(maxLength) characters")
        }
        return value
    }

    func int(_ name: String, default def: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = try string(name, maxLength: 20) else { return def }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError.badParameter(name, "use an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    func double(_ name: String) throws -> Double? {
        guard let raw = try string(name, maxLength: 40) else { return nil }
        guard let value = Double(raw), value.isFinite else { throw APIError.badParameter(name, "use a finite number") }
        return value
    }

    func bool(_ name: String, default def: Bool) throws -> Bool {
        guard let raw = try string(name, maxLength: 5) else { return def }
        switch raw {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badParameter(name, "use true or false")
        }
    }

    /// Comma-separated product ids (at most 1000).
    func ids(_ name: String) throws -> [Int64] {
        guard let raw = try string(name, maxLength: 25_000) else { return [] }
        let parts = raw.split(separator: ",")
        guard parts.count <= 1000 else { throw APIError.badParameter(name, "give at most 1000 ids") }
        return try parts.map {
            guard let id = Int64($0.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.badParameter(name, "give comma-separated integer product ids")
            }
            return id
        }
    }

    /// `exclude_history` (`FeedExclusion(option:)`; absent: none).
    func exclusion() throws -> FeedExclusion {
        guard let raw = try string("exclude_history", maxLength: 2_000) else { return .none }
        guard let exclusion = FeedExclusion(option: raw) else {
            throw APIError.badParameter("exclude_history", "use \(FeedExclusion.optionSyntax)")
        }
        return exclusion
    }

    /// The shared filter parameters: category (levels separated by '/'), merchant, color, min_price, max_price, exclude.
    func filters() throws -> RankingFilters {
        let category = try string("category", maxLength: 1000).map {
            $0.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } ?? []
        let filters = RankingFilters(categoryPrefix: category, merchant: try string("merchant"), minPrice: try double("min_price"),
                                     maxPrice: try double("max_price"), color: try string("color"),
                                     excludedProductIDs: try ids("exclude"))
        if let lo = filters.minPrice, let hi = filters.maxPrice, lo > hi {
            throw APIError.badParameter("min_price", "must not exceed max_price")
        }
        return filters
    }
}

/// A path parameter that must be an id.
func pathID(_ context: some RequestContext, _ name: String) throws -> Int64 {
    guard let raw = context.parameters.get(name), let id = Int64(raw) else {
        throw APIError.badParameter(name, "use an integer id in the path")
    }
    return id
}
