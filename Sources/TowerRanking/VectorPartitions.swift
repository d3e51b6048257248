/// An inverted-file index over a catalog's product vectors: spherical k-means centroids, and the rows nearest to each
/// centroid stored together (a list). A query scans the lists of its most similar centroids first, so the top by cosine
/// of a large catalog costs a few thousand dot products instead of one per product.
///
/// Built in the background with the catalog snapshot (`CatalogSnapshot`): k-means on an evenly spaced sample (at most
/// 64 rows per list), then every row assigned to its nearest centroid. A refresh keeps the centroids and the list of
/// every product whose vector did not change, so only new and re-embedded products cost dot products.
struct VectorPartitions: Sendable {
    /// Unit centroids, one per list.
    let centroids: [[Float]]
    /// The rows in storage order: grouped by list, ascending within a list.
    let order: [Int]
    /// List `l` is stored at positions `listStarts[l] ..< listStarts[l + 1]`.
    let listStarts: [Int]

    /// Lists for `count` rows: one below 4,096 rows (an exact scan), else about √count (316 at 100,000).
    static func listCount(rows count: Int) -> Int { count < 4_096 ? 1 : Int(Double(count).squareRoot().rounded()) }

    /// Partitions of `vectors` (one per row, all of one dimension). `previous` and `previousList(row)` (the list a row had
    /// there when its product's vector is unchanged) let a refresh keep the centroids and those lists; they are
    /// recomputed when the number of lists would change by half or more.
    init(vectors: [[Float]], previous: VectorPartitions?, previousList: (Int) -> Int?) {
        let count = Self.listCount(rows: vectors.count)
        let kept = previous.flatMap { p in
            p.centroids.count * 2 > count && p.centroids.count < count * 2 && p.centroids.first?.count == vectors.first?.count ? p : nil
        }
        let centroids = kept?.centroids ?? Self.kMeans(vectors, lists: count)
        let listOfRow = vectors.indices.map { row in (kept == nil ? nil : previousList(row)) ?? Self.nearest(vectors[row], among: centroids) }
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
        let order = centroids.count == 1 ? [0] : centroids.indices.map { (VectorMath.dot(centroids[$0], query), $0) }
            .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.map(\.1)
        var ranges: [Range<Int>] = [], scanned = 0
        for list in order where scanned < budget {
            ranges.append(listStarts[list] ..< listStarts[list + 1])
            scanned += ranges[ranges.count - 1].count
        }
        return ranges
    }

    /// The index of the centroid most similar to `v` (the first on ties).
    static func nearest(_ v: [Float], among centroids: [[Float]]) -> Int {
        var best = 0, bestDot = -Float.infinity
        for (i, c) in centroids.enumerated() {
            let d = VectorMath.dot(v, c)
            if d > bestDot { (best, bestDot) = (i, d) }
        }
        return best
    }

    /// Spherical k-means on an evenly spaced sample of at most 64 rows per list, started from evenly spaced sample rows:
    /// deterministic for the same vectors.
    static func kMeans(_ vectors: [[Float]], lists: Int, iterations: Int = 5) -> [[Float]] {
        let dimension = vectors.first?.count ?? 0
        guard lists > 1, vectors.count >= lists else { return [unit(sum(vectors, dimension: dimension))] }
        let sampleSize = min(vectors.count, lists * 64)
        let sample = (0..<sampleSize).map { unit(vectors[$0 * vectors.count / sampleSize]) }
        var centroids = (0..<lists).map { sample[$0 * sampleSize / lists] }
        for _ in 0..<iterations {
            let members = Dictionary(grouping: sample) { nearest($0, among: centroids) }
            for (c, vs) in members { centroids[c] = unit(sum(vs, dimension: dimension)) }  // an empty list keeps its centroid
        }
        return centroids
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
