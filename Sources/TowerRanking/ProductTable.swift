import CTowerVectorScan
import LibPQ

/// Products with their facts and their vectors in flat buffers, for the re-ranked head's top by cosine in memory
/// (`CategoryMembers`, `CatalogSnapshot`).
///
/// A scan reads each vector as int4 codes (half a byte per component, scaled per vector: an eighth of the float
/// vector's memory traffic) through the C kernel `tower_scan_i4`, which returns only the rows whose estimate beats the
/// shortlist's worst; the shortlist (a heap, touching a product's facts only when it would enter it) is then ordered by
/// the exact cosine of the float vectors. On MiniLM vectors a shortlist of twice the top holds the exact top
/// (docs/ranking.md).
struct ProductTable: Sendable {
    let ids: [Int64]
    /// The facts without their vector (`vector(at:)` has it).
    private let facts: [ProductFacts]
    /// `count × dimension` floats, in the order of `ids`, and their norms.
    private let vectors: [Float]
    private let norms: [Double]
    /// The vectors as int4 codes (`tower_pack_i4`), `rowBytes` a vector; each vector's scale (`max |v_i| / 7`) over its
    /// norm, which turns a dot product of codes into the cosine estimate (up to the query's own factor, common to every
    /// product).
    private let codes: [UInt8]
    private let rowBytes: Int
    private let estimateScales: [Float]
    let dimension: Int

    /// The table of `rows` (active products: their facts, which the table keeps as they are, and their vectors, of one
    /// dimension) in that order.
    init(_ rows: [(id: Int64, facts: ProductFacts, vector: [Float])]) {
        let dimension = rows.first?.vector.count ?? 0
        self.dimension = dimension
        ids = rows.map(\.id)
        facts = rows.map(\.facts)
        var vectors: [Float] = []
        vectors.reserveCapacity(rows.count * dimension)
        for row in rows { vectors += row.vector }
        self.vectors = vectors
        norms = rows.map { Double(VectorMath.dot($0.vector, $0.vector)).squareRoot() }
        (rowBytes, codes, estimateScales) = Self.packed(rows.map(\.vector), dimension: dimension, norms: norms)
    }

    /// `vectors` as int4 codes and their estimate scales.
    private static func packed(_ vectors: [[Float]], dimension: Int, norms: [Double]) -> (Int, [UInt8], [Float]) {
        let rowBytes = Int(tower_i4_bytes(Int32(dimension)))
        var codes = [UInt8](repeating: 0, count: vectors.count * rowBytes), scales: [Float] = []
        scales.reserveCapacity(vectors.count)
        codes.withUnsafeMutableBufferPointer { out in
            for (r, vector) in vectors.enumerated() {
                let (q, scale) = quantise(vector, levels: 7)
                tower_pack_i4(q, Int32(dimension), out.baseAddress! + r * rowBytes)
                scales.append(norms[r] > 0 ? scale / Float(norms[r]) : 0)
            }
        }
        return (rowBytes, codes, scales)
    }

    /// `v` as codes `round(v_i / scale)` in `-levels ... levels`, with `scale = max |v_i| / levels` (1 for a zero vector).
    static func quantise(_ v: [Float], levels: Float = 127) -> (codes: [Int8], scale: Float) {
        let largest = v.reduce(0) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / levels : 1
        return (v.map { Int8(($0 / scale).rounded()) }, scale)
    }

    /// The rows of a `ProductFacts.columns(vector: true)` query with `product_id` first, the vector apart from the facts
    /// (inactive rows and rows without a vector left out).
    static func rows(_ result: PQResult) throws -> [(id: Int64, facts: ProductFacts, vector: [Float])] {
        try result.rows.compactMap { row in
            let facts = try ProductFacts(row, from: 1, vector: false)
            guard facts.active, let vector: [Float] = try row.decodeIfPresent(1 + ProductFacts.vectorColumn) else { return nil }
            return (try row.decode(0), facts, vector)
        }
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
    /// best first, ties by ascending id; their facts come without the vector (the cosine is known). The int4 estimate
    /// chooses a shortlist of `max(2 · limit, limit + 64)`; a product outside it is missed only when quantisation moves
    /// its cosine past that many others'.
    func nearest(_ limit: Int, query: [Float], filters: RankingFilters,
                 positions: [Range<Int>]) -> [(id: Int64, cosine: Float, facts: ProductFacts)] {
        guard limit > 0, query.count == dimension, dimension > 0 else { return [] }
        let queryNorm = Double(VectorMath.dot(query, query)).squareRoot()
        let queryCodes = Self.quantise(query).codes  // its scale is common to every estimate: it does not change their order
        var shortlist = Shortlist(size: max(2 * limit, limit + 64))
        let longest = positions.map(\.count).max() ?? 0
        var found = [Int64](repeating: 0, count: longest), estimates = [Float](repeating: 0, count: longest)
        codes.withUnsafeBufferPointer { c in
            estimateScales.withUnsafeBufferPointer { scales in
                for range in positions where !range.isEmpty {
                    // Only the rows that beat the shortlist's worst as the list starts come back.
                    let kept = tower_scan_i4(c.baseAddress! + range.lowerBound * rowBytes, Int32(dimension), Int64(range.count), queryCodes,
                                             scales.baseAddress! + range.lowerBound, shortlist.threshold, &found, &estimates)
                    for k in 0..<Int(kept) {
                        let p = range.lowerBound + Int(found[k])
                        if shortlist.admits(estimates[k]), filters.matchesActive(ids[p], facts[p]) { shortlist.insert(estimates[k], p) }
                    }
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
    func admits(_ estimate: Float) -> Bool { estimate > threshold }

    /// The estimate to beat: the worst kept when full, else -∞.
    var threshold: Float { heap.count < size ? -.infinity : heap[0].estimate }

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
