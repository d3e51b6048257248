import CTowerVectorScan
import LibPQ

/// Products with their facts and their vectors in flat buffers, for the re-ranked head's top by cosine in memory
/// (`CategoryMembers`, `CatalogSnapshot`).
///
/// A scan reads each vector as int8 codes (a byte per component, scaled per vector: a quarter of the float vector's
/// memory traffic) through the C kernel `tower_scan_i8`, keeps a shortlist of the best by that estimate in a heap
/// (touching a product's facts only when it would enter it), and orders the shortlist by the exact cosine of the float
/// vectors.
struct ProductTable: Sendable {
    let ids: [Int64]
    /// The facts without their vector (`vector(at:)` has it).
    private let facts: [ProductFacts]
    /// `count × dimension` floats, in the order of `ids`, and their norms.
    private let vectors: [Float]
    private let norms: [Double]
    /// The vectors quantised: `count × dimension` codes; each vector's scale (`max |v_i| / 127`) over its norm, which turns
    /// a dot product of codes into the cosine estimate (up to the query's own factor, common to every product).
    private let codes: [Int8]
    private let estimateScales: [Float]
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
        estimateScales = zip(quantised, norms).map { q, norm in norm > 0 ? q.scale / Float(norm) : 0 }
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

    /// The facts at `position`, without the vector.
    func facts(at position: Int) -> ProductFacts { facts[position] }

    /// The cosine of the vector at `position` with `query` (whose norm is `queryNorm`).
    func cosine(at position: Int, query: [Float], queryNorm: Double) -> Float {
        vectors.withUnsafeBufferPointer { v in
            query.withUnsafeBufferPointer { q in
                VectorMath.cosine(dot: VectorMath.dot(v.baseAddress! + position * dimension, q.baseAddress!, count: dimension),
                                  norms: norms[position] * queryNorm)
            }
        }
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
        var shortlist = Shortlist(size: max(2 * limit, limit + 64))
        var dots: [Int32] = []
        codes.withUnsafeBufferPointer { c in
            for range in positions where !range.isEmpty {
                if dots.count < range.count { dots = [Int32](repeating: 0, count: range.count) }
                dots.withUnsafeMutableBufferPointer { out in
                    tower_scan_i8(c.baseAddress! + range.lowerBound * dimension, Int32(dimension), Int64(range.count), queryCodes, out.baseAddress!)
                }
                for (i, p) in range.enumerated() {
                    let estimate = Float(dots[i]) * estimateScales[p]
                    if shortlist.admits(estimate), filters.matchesAttributes(ids[p], facts[p]) { shortlist.insert(estimate, p) }
                }
            }
        }
        let exact = shortlist.positions.map { (position: $0, cosine: cosine(at: $0, query: query, queryNorm: queryNorm)) }
        return exact.sorted { $0.cosine != $1.cosine ? $0.cosine > $1.cosine : ids[$0.position] < ids[$1.position] }
            .prefix(limit).map { (ids[$0.position], $0.cosine, facts[$0.position]) }
    }
}

/// The `size` best positions by estimate seen so far: a binary min-heap, its root the worst kept.
private struct Shortlist {
    let size: Int
    private var heap: [(estimate: Float, position: Int)] = []

    init(size: Int) {
        self.size = size
        heap.reserveCapacity(size)
    }

    var positions: [Int] { heap.map(\.position) }

    /// Whether an estimate would be kept (the heap is not full, or it beats the worst kept).
    func admits(_ estimate: Float) -> Bool { heap.count < size || estimate > heap[0].estimate }

    /// Keeps `position` (admitted), dropping the worst kept when full.
    mutating func insert(_ estimate: Float, _ position: Int) {
        if heap.count < size {
            heap.append((estimate, position))
            var child = heap.count - 1
            while child > 0, heap[(child - 1) / 2].estimate > heap[child].estimate {
                heap.swapAt(child, (child - 1) / 2)
                child = (child - 1) / 2
            }
            return
        }
        heap[0] = (estimate, position)
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].estimate < heap[smallest].estimate { smallest = left }
            if right < heap.count, heap[right].estimate < heap[smallest].estimate { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

extension ProductFacts {
    /// These facts with `vector` instead of theirs.
    func with(vector: [Float]?) -> ProductFacts {
        ProductFacts(name: name, popularity: popularity, active: active, categoryPath: categoryPath, merchant: merchant, color: color, price: price, priceTier: priceTier,
                     createdAt: createdAt, weight1d: weight1d, weight7d: weight7d, weight30d: weight30d, trendScore: trendScore, vector: vector)
    }
}
