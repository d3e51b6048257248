import CTowerVectorScan
import LibPQ

/// Products with their facts and their vectors in flat buffers, for the re-ranked head's top by cosine in memory
/// (`CategoryMembers`, `CatalogSnapshot`).
///
/// A scan reads each vector as int8 codes (a byte per component, scaled per vector: a quarter of the float vector's
/// memory traffic) through the C kernel `tower_scan_i8`, keeps a shortlist of the best by that estimate (touching a
/// product's facts only when it would enter it), and orders the shortlist by the exact cosine of the float vectors.
struct ProductTable: Sendable {
    let ids: [Int64]
    /// The facts without their vector (see `facts(at:)`).
    private let facts: [ProductFacts]
    /// `count × dimension` floats, in the order of `ids`, and their norms.
    private let vectors: [Float]
    private let norms: [Double]
    /// The vectors quantised: `count × dimension` codes, each vector's scale (`max |v_i| / 127`).
    private let codes: [Int8]
    private let scales: [Float]
    let dimension: Int

    /// The table of `rows` (facts with vectors of one dimension) in that order.
    init(_ rows: [(id: Int64, facts: ProductFacts)]) {
        let dimension = rows.first?.facts.vector?.count ?? 0
        self.dimension = dimension
        ids = rows.map(\.id)
        facts = rows.map { $0.facts.with(vector: nil) }
        var vectors: [Float] = []
        vectors.reserveCapacity(rows.count * dimension)
        for row in rows { vectors += row.facts.vector ?? [Float](repeating: 0, count: dimension) }
        self.vectors = vectors
        norms = rows.map { r in r.facts.vector.map { Double(VectorMath.dot($0, $0)).squareRoot() } ?? 0 }
        let quantised = rows.map { Self.quantise($0.facts.vector ?? [Float](repeating: 0, count: dimension)) }
        codes = quantised.flatMap(\.codes)
        scales = quantised.map(\.scale)
    }

    /// `v` as int8 codes `round(v_i / scale)` with `scale = max |v_i| / 127` (1 for a zero vector).
    static func quantise(_ v: [Float]) -> (codes: [Int8], scale: Float) {
        let largest = v.reduce(0) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / 127 : 1
        return (v.map { Int8(($0 / scale).rounded()) }, scale)
    }

    /// The rows of a `ProductFacts.columns(vector: true)` query with `product_id` first (rows without a vector left out).
    static func rows(_ result: PQResult) throws -> [(id: Int64, facts: ProductFacts)] {
        try result.rows.map { (id: try $0.decode(0, as: Int64.self), facts: try ProductFacts($0, from: 1, vector: true)) }
            .filter { $0.facts.vector != nil }
    }

    var count: Int { ids.count }

    /// The vector at `position`.
    func vector(at position: Int) -> ArraySlice<Float> { vectors[position * dimension ..< (position + 1) * dimension] }

    /// The product at `position`, without its vector.
    func product(at position: Int) -> CatalogProduct { facts[position].product(ids[position]) }

    /// The facts at `position`, with the vector.
    func facts(at position: Int) -> ProductFacts {
        facts[position].with(vector: Array(vector(at: position)))
    }

    /// The `limit` products at `positions` passing `filters` with the highest cosine to `query` (pgvector's formula),
    /// best first, ties by ascending id; their facts come without the vector (the cosine is known). The int8 estimate
    /// chooses a shortlist of `max(2 · limit, limit + 64)`; a product outside it is missed only when quantisation moves
    /// its cosine past that many others'.
    func nearest(_ limit: Int, query: [Float], filters: RankingFilters,
                 positions: some Sequence<Range<Int>>) -> [(id: Int64, cosine: Float, facts: ProductFacts)] {
        guard limit > 0, query.count == dimension, dimension > 0 else { return [] }
        let queryNorm = Double(VectorMath.dot(query, query)).squareRoot()
        let queryCodes = Self.quantise(query).codes  // its scale is common to every estimate: it does not change their order
        let size = max(2 * limit, limit + 64)
        var shortlist: [(estimate: Float, position: Int)] = []  // best first
        shortlist.reserveCapacity(size + 1)
        var dots: [Int32] = []
        codes.withUnsafeBufferPointer { c in
            for range in positions where !range.isEmpty {
                if dots.count < range.count { dots = [Int32](repeating: 0, count: range.count) }
                dots.withUnsafeMutableBufferPointer { out in
                    tower_scan_i8(c.baseAddress! + range.lowerBound * dimension, Int32(dimension), Int64(range.count), queryCodes, out.baseAddress!)
                }
                for (i, p) in range.enumerated() {
                    let estimate = norms[p] > 0 ? Float(dots[i]) * scales[p] / Float(norms[p]) : 0
                    guard shortlist.count < size || estimate > shortlist[size - 1].estimate, filters.matchesAttributes(ids[p], facts[p]) else {
                        continue
                    }
                    var low = 0, high = shortlist.count  // the first entry with a lower estimate
                    while low < high {
                        let mid = (low + high) / 2
                        if estimate > shortlist[mid].estimate { high = mid } else { low = mid + 1 }
                    }
                    shortlist.insert((estimate, p), at: low)
                    if shortlist.count > size { shortlist.removeLast() }
                }
            }
        }
        let exact = vectors.withUnsafeBufferPointer { v in
            query.withUnsafeBufferPointer { q in
                shortlist.map { s in
                    (position: s.position, cosine: VectorMath.cosine(dot: VectorMath.dot(v.baseAddress! + s.position * dimension, q.baseAddress!,
                                                                                          count: dimension), norms: norms[s.position] * queryNorm))
                }
            }
        }
        return exact.sorted { $0.cosine != $1.cosine ? $0.cosine > $1.cosine : ids[$0.position] < ids[$1.position] }
            .prefix(limit).map { (ids[$0.position], $0.cosine, facts[$0.position]) }
    }
}

extension ProductFacts {
    /// These facts with `vector` instead of theirs.
    func with(vector: [Float]?) -> ProductFacts {
        ProductFacts(name: name, popularity: popularity, active: active, categoryPath: categoryPath, merchant: merchant, color: color, price: price, priceTier: priceTier,
                     createdAt: createdAt, weight1d: weight1d, weight7d: weight7d, weight30d: weight30d, trendScore: trendScore, vector: vector)
    }
}
