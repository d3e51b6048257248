/// Everything the ranking library reports. Each description says what to do next.
public enum RankingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `page` is outside `allowed`.
    case invalidPage(Int, allowed: ClosedRange<Int>)
    /// `perPage` (or a `similar` limit) is outside `allowed`.
    case invalidPerPage(Int, allowed: ClosedRange<Int>)
    /// The price bounds are not finite or min > max.
    case invalidPriceRange(min: Double?, max: Double?)
    /// A diversity setting is out of range.
    case invalidDiversity(String)
    /// `similar(to:)` was asked about a product that does not exist.
    case productNotFound(Int64)
    /// The product exists but has no vector yet.
    case productHasNoVector(Int64)
    /// PostgreSQL could not be reached (after retries) or the connection broke.
    case databaseUnavailable(String)
    /// A query ran longer than the configured statement timeout.
    case timedOut(seconds: Double)
    /// Every pooled connection stayed busy for the whole acquire timeout.
    case poolExhausted(maxConnections: Int, waitedSeconds: Double)
    /// The schema is missing or too old.
    case schemaMissing(String)
    /// The role may not read a table.
    case permissionDenied(String)
    /// Any other database error.
    case database(String)

    public var description: String {
        switch self {
        case .invalidPage(let p, let r):
            return "page \(p) is out of range: use a page in \(r.lowerBound)…\(r.upperBound)"
        case .invalidPerPage(let n, let r):
            return "per-page \(n) is out of range: use a value in \(r.lowerBound)…\(r.upperBound)"
        case .invalidPriceRange(let lo, let hi):
            return "invalid price range \(lo.map { "\($0)" } ?? "-")…\(hi.map { "\($0)" } ?? "-"): bounds must be finite numbers with min ≤ max"
        case .invalidDiversity(let m):
            return "invalid diversity setting: \(m)"
        case .productNotFound(let id):
            return "product \(id) does not exist: check the id (`tower catalog show --product \(id)`) or import the catalog"
        case .productHasNoVector(let id):
            return "product \(id) has no vector yet: run `tower catalog embed`"
        case .databaseUnavailable(let m):
            return "the ranking database is unavailable: \(m) — check the read-only URL (TOWER_READONLY_DATABASE_URL) and that PostgreSQL runs"
        case .timedOut(let s):
            return "a ranking query ran longer than \(s) s and was cancelled: create the vector index (`tower index create`) or raise the statement timeout"
        case .poolExhausted(let n, let s):
            return "all \(n) ranking connections stayed busy for \(s) s: raise RankerConfiguration.maxConnections or the acquire timeout"
        case .schemaMissing(let m):
            return "the schema is missing or old (\(m)): run `tower migrate`"
        case .permissionDenied(let m):
            return "the ranking role may not read the tables (\(m)): run `tower migrate`, which grants SELECT to tower_ro, or grant SELECT yourself"
        case .database(let m):
            return "ranking query failed: \(m)"
        }
    }
}
