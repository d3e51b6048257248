
/// Optional reordering of a relevance-ordered feed so one page is not all alike.
///
/// Deterministic and pagination-safe: it reorders a fixed candidate window — the first
/// `RankerConfiguration.diversityWindow` results of the undiversified order, rounded up to whole pages —
/// and every page is a slice of that one reordered list (later pages continue in the undiversified
/// order). The same request therefore always yields the same pages, without overlaps or gaps.
/// Explicit sorts (price, newest, popular) are never diversified.
public enum Diversity: Sendable, Equatable {
    /// At most `n` products of one category (the full category path) per page, while the window has
    /// others to offer; pages are filled greedily in relevance order.
    case maxPerCategory(Int)
    /// Maximal marginal relevance: repeatedly take the product maximising
    /// `λ·relevance − (1−λ)·(highest cosine to a product already taken)`. λ = 1 is the plain order.
    /// Relevance is the cosine to the customer's vector (fallback feeds: 1 − position/window).
    case mmr(lambda: Double)

    func validate() throws {
        switch self {
        case .maxPerCategory(let n) where n < 1:
            throw RankingError.invalidDiversity("maxPerCategory needs n ≥ 1, got \(n)")
        case .mmr(let lambda) where !(0...1).contains(lambda):
            throw RankingError.invalidDiversity("MMR λ must be in 0…1, got \(lambda)")
        default: return
        }
    }

    /// Whether the candidates need their vectors.
    var needsVectors: Bool { if case .mmr = self { return true } else { return false } }

    /// The first `count` positions of the diversified order of `window` (given in relevance order).
    func reorder(_ window: [Candidate], perPage: Int, count: Int) -> [Candidate] {
        switch self {
        case .maxPerCategory(let n): return Self.capPerCategory(window, n: n, perPage: perPage, count: count)
        case .mmr(let lambda): return Self.mmr(window, lambda: lambda, count: count)
        }
    }

    private static func capPerCategory(_ window: [Candidate], n: Int, perPage: Int, count: Int) -> [Candidate] {
        var remaining = window[...]
        var out: [Candidate] = []
        while out.count < count, !remaining.isEmpty {
            var page: [Candidate] = [], deferred: [Candidate] = [], perCategory: [[String]: Int] = [:]
            for c in remaining {
                let key = c.categoryPath ?? []
                if page.count < perPage, perCategory[key, default: 0] < n {
                    page.append(c)
                    perCategory[key, default: 0] += 1
                } else {
                    deferred.append(c)
                }
            }
            // Not enough variety left: fill the page with the best of the rest.
            let fill = min(perPage - page.count, deferred.count)
            page += deferred.prefix(fill)
            out += page
            remaining = deferred.dropFirst(fill)
        }
        return Array(out.prefix(count))
    }

    private static func mmr(_ window: [Candidate], lambda: Double, count: Int) -> [Candidate] {
        let unit = window.map { c in c.vector.map(normalized) }
        let relevance: [Double] = window.enumerated().map { i, c in
            c.cosine ?? 1 - Double(i) / Double(max(window.count, 1))
        }
        var closest = [Double](repeating: -.infinity, count: window.count) // highest cosine to a taken product
        var taken = [Bool](repeating: false, count: window.count)
        var out: [Candidate] = []
        while out.count < min(count, window.count) {
            var best = -1, bestValue = -Double.infinity
            for i in window.indices where !taken[i] {
                let redundancy = closest[i] == -.infinity ? 0 : closest[i]
                let value = lambda * relevance[i] - (1 - lambda) * redundancy
                if value > bestValue { best = i; bestValue = value } // ties keep the earlier (more relevant) one
            }
            taken[best] = true
            out.append(window[best])
            guard let picked = unit[best] else { continue }
            for i in window.indices where !taken[i] {
                if let v = unit[i] { closest[i] = max(closest[i], Double(VectorMath.dot(picked, v))) }
            }
        }
        return out
    }

    private static func normalized(_ v: [Float]) -> [Float] {
        let norm = VectorMath.dot(v, v).squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}

/// A ranked row as diversity sees it.
struct Candidate {
    let item: RankedItem
    let categoryPath: [String]?
    let vector: [Float]?
    /// Cosine to the query vector, for vector orderings.
    let cosine: Double?
    /// The product's facts without its vector, when read (`CandidateColumns.facts`).
    var facts: ProductFacts? = nil
}

/// The optional columns a candidate query reads.
struct CandidateColumns: OptionSet {
    let rawValue: Int
    static let categories = CandidateColumns(rawValue: 1)
    static let vectors = CandidateColumns(rawValue: 2)
    /// `ProductFacts.columns(vector: false)`, after the others.
    static let facts = CandidateColumns(rawValue: 4)
}
