import CTowerVectorScan

/// An inverted-file index over a catalog's product vectors: spherical k-means centroids, and the rows nearest to each
/// centroid stored together (a list). A query scans the lists of its most similar centroids first, so the top by cosine
/// of a large catalog costs a few thousand dot products instead of one per product.
///
/// Built in the background with the catalog snapshot (`CatalogSnapshot`): k-means on an evenly spaced sample (at most
/// 32 rows per list), then every row assigned to its nearest centroid. Centroids are compared through their int8 codes
/// (`tower_scan_i8`), for the probe order and the assignment alike. A refresh keeps the centroids and the list of every
/// product whose vector did not change, so only new and re-embedded products cost dot products.
struct VectorPartitions: Sendable {
    /// Unit centroids, one per list, and their int8 codes.
    let centroids: Centroids
    /// The rows in storage order: grouped by list, ascending within a list.
    let order: [Int]
    /// List `l` is stored at positions `listStarts[l] ..< listStarts[l + 1]`.
    let listStarts: [Int]

    /// Lists for `count` rows: one below 4,096 rows (an exact scan), else about 2√count (632 at 100,000): finer lists
    /// find more of the top for the same share of rows scanned (docs/ranking.md).
    static func listCount(rows count: Int) -> Int { count < 4_096 ? 1 : Int((2 * Double(count).squareRoot()).rounded()) }

    /// Partitions of `vectors` (one per row, all of one dimension). `previous` and `previousList(row)` (the list a row had
    /// there when its product's vector is unchanged) let a refresh keep the centroids and those lists; they are
    /// recomputed when the number of lists would change by half or more.
    init(vectors: [[Float]], previous: VectorPartitions?, previousList: (Int) -> Int?) {
        let count = Self.listCount(rows: vectors.count)
        let kept = previous.flatMap { p in
            p.centroids.count * 2 > count && p.centroids.count < count * 2 && p.centroids.dimension == vectors.first?.count ? p : nil
        }
        let centroids = kept?.centroids ?? Self.kMeans(vectors, lists: count)
        let listOfRow = vectors.indices.map { row in (kept == nil ? nil : previousList(row)) ?? centroids.nearest(to: vectors[row]) }
        self.centroids = centroids
        order = vectors.indices.sorted { listOfRow[$0] != listOfRow[$1] ? listOfRow[$0] < listOfRow[$1] : $0 < $1 }
        var starts = [Int](repeating: 0, count: centroids.count + 1)
        for list in listOfRow { starts[list + 1] += 1 }
        for l in 0..<centroids.count { starts[l + 1] += starts[l] }
        listStarts = starts
    }

    /// The list stored at `position`.
    func list(ofPosition position: Int) -> Int {
        var low = 0, high = centroids.count - 1  // the last list whose start is at most `position`
        while low < high {
            let mid = (low + high + 1) / 2
            if listStarts[mid] <= position { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The positions to scan for `query`: whole lists, most similar centroid first, until at least `budget` positions.
    func positions(for query: [Float], budget: Int) -> [Range<Int>] {
        // Most similar first, ties by list: one sort of integer keys (the similarity's order-preserving bits, inverted, above
        // the list number).
        var keys = centroids.similarities(to: query).enumerated().map { list, similarity in
            let bits = similarity.bitPattern, ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            return UInt64(~ascending) << 32 | UInt64(list)
        }
        keys.sort()
        var ranges: [Range<Int>] = [], scanned = 0
        for list in keys.lazy.map({ Int($0 & 0xFFFF_FFFF) }) where scanned < budget {
            ranges.append(listStarts[list] ..< listStarts[list + 1])
            scanned += ranges[ranges.count - 1].count
        }
        return ranges
    }

    /// Spherical k-means on an evenly spaced sample of at most 32 rows per list, started from evenly spaced sample rows:
    /// deterministic for the same vectors.
    static func kMeans(_ vectors: [[Float]], lists: Int, iterations: Int = 5) -> Centroids {
        let dimension = vectors.first?.count ?? 0
        guard lists > 1, vectors.count >= lists else { return Centroids([unit(sum(vectors, dimension: dimension))]) }
        let sampleSize = min(vectors.count, lists * 32)
        let sample = (0..<sampleSize).map { unit(vectors[$0 * vectors.count / sampleSize]) }
        var centroids = (0..<lists).map { sample[$0 * sampleSize / lists] }
        for _ in 0..<iterations {
            let coded = Centroids(centroids)
            let members = Dictionary(grouping: sample) { coded.nearest(to: $0) }
            for (c, vs) in members { centroids[c] = unit(sum(vs, dimension: dimension)) }  // an empty list keeps its centroid
        }
        return Centroids(centroids)
    }

    private static func sum(_ vectors: [[Float]], dimension: Int) -> [Float] {
        var sum = [Float](repeating: 0, count: dimension)
        for v in vectors { for d in 0..<dimension { sum[d] += v[d] } }
        return sum
    }

    private static func unit(_ v: [Float]) -> [Float] {
        let norm = VectorMath.dot(v, v).squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}

/// Unit centroids as int8 codes (`ProductTable.quantise`), compared with a vector by the C kernel: estimates of the
/// cosines, which order the probe and choose a product's list.
struct Centroids: Sendable, Equatable {
    let count: Int
    let dimension: Int
    private let codes: [Int8]
    private let scales: [Float]

    init(_ centroids: [[Float]]) {
        count = centroids.count
        dimension = centroids.first?.count ?? 0
        let quantised = centroids.map { ProductTable.quantise($0) }
        codes = quantised.flatMap(\.codes)
        scales = quantised.map(\.scale)
    }

    /// Each centroid's estimated similarity to `v` (up to `v`'s own scale, common to all).
    func similarities(to v: [Float]) -> [Float] {
        guard count > 1, v.count == dimension else { return [Float](repeating: 0, count: count) }
        var dots = [Int32](repeating: 0, count: count)
        codes.withUnsafeBufferPointer { c in
            dots.withUnsafeMutableBufferPointer { out in
                tower_scan_i8(c.baseAddress!, Int32(dimension), Int64(count), ProductTable.quantise(v).codes, out.baseAddress!)
            }
        }
        return zip(dots, scales).map { Float($0) * $1 }
    }

    /// The centroid most similar to `v` (the first on ties).
    func nearest(to v: [Float]) -> Int {
        let s = similarities(to: v)
        return s.indices.max { s[$0] != s[$1] ? s[$0] < s[$1] : $0 > $1 } ?? 0
    }
}
