import Foundation
import Synchronization

/// The whole catalog's rankable products (active, with a vector) in memory, with their facts and an inverted-file
/// index over their vectors (`VectorPartitions`): the re-ranked head of a feed that would walk the catalog's HNSW index
/// finds its top by cosine here instead, and the facts of its other candidates too, so a request with warm caches asks
/// the database only for the customer's own rows. The walk costs about 1.5 ms of database time for the top 100 at
/// 100,000 products; the partitions' int4 scan of the default 10 % about 0.3–0.5 ms in the ranker (docs/ranking.md).
///
/// Kept when the catalog holds at most `RankerConfiguration.catalogSnapshotLimit` rankable products, refreshed in the
/// background every `servingCacheTTL` like the other serving caches (a request that finds it stale uses it and asks the
/// ranker for a new one).
struct CatalogSnapshot: Sendable {
    /// The products, stored list by list.
    let table: ProductTable
    let partitions: VectorPartitions
    private let positionByID: [Int64: Int]
    /// Each product's row version (`xmin`) where known, by position: a refresh reads the vectors of changed rows only.
    private let versions: [Int64?]
    /// The vectors the read of this snapshot fetched from the database (the others came from the previous snapshot).
    let vectorsRead: Int

    /// The snapshot of `rows` (active products, as `read` reads them) and their row `versions` (nil: unknown); `previous`
    /// lends its partitions' centroids and the lists of unchanged products.
    init(rows: [(id: Int64, facts: ProductFacts, vector: [Float])], versions: [Int64]? = nil, vectorsRead: Int? = nil,
         previous: CatalogSnapshot?) {
        self.vectorsRead = vectorsRead ?? rows.count
        let vectors = rows.map(\.vector)
        let partitions = VectorPartitions(vectors: vectors, previous: previous?.partitions) { row in
            guard let previous, let p = previous.positionByID[rows[row].id], previous.table.vector(at: p).elementsEqual(vectors[row]) else {
                return nil
            }
            return previous.partitions.list(ofPosition: p)
        }
        self.partitions = partitions
        table = ProductTable(partitions.order.map { rows[$0] })
        self.versions = partitions.order.map { versions?[$0] }
        positionByID = Dictionary(table.ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The row version of product `id` when it was read (nil: not held, or unknown).
    func version(of id: Int64) -> Int64? { positionByID[id].flatMap { versions[$0] } }

    /// The vector of product `id`, if held.
    func vector(of id: Int64) -> [Float]? { positionByID[id].map { Array(table.vector(at: $0)) } }

    /// Products held.
    var count: Int { table.count }

    /// The facts (without vectors) of those of `ids` the snapshot holds, and the cosines to `query` of those passing
    /// `filters`.
    func facts(of ids: some Sequence<Int64>, query: [Float], filters: RankingFilters) -> (facts: [Int64: ProductFacts], cosines: [Int64: Float]) {
        guard query.count == table.dimension else { return ([:], [:]) }
        let queryNorm = Double(VectorMath.dot(query, query)).squareRoot()
        var facts: [Int64: ProductFacts] = [:], cosines: [Int64: Float] = [:]
        facts.reserveCapacity(ids.underestimatedCount)
        cosines.reserveCapacity(ids.underestimatedCount)
        for id in ids {
            guard let p = positionByID[id] else { continue }
            let f = table.facts(at: p)
            facts[id] = f
            if filters.matchesActive(id, f) { cosines[id] = table.cosine(at: p, query: query, queryNorm: queryNorm) }
        }
        return (facts, cosines)
    }

    /// The product `id`, if the snapshot holds it (without its vector).
    func product(_ id: Int64) -> CatalogProduct? { positionByID[id].map(table.product(at:)) }

    /// The `limit` products passing `filters` nearest to `query` among the lists the partitions yield for `budget`, best
    /// first (ties by ascending id); nil when those lists held fewer than `limit` such products and were not the whole
    /// catalog (narrow filters: the caller asks the database).
    func nearest(_ limit: Int, query: [Float], filters: RankingFilters, budget: Int) -> [(id: Int64, cosine: Float, facts: ProductFacts)]? {
        let top = table.nearest(limit, query: query, filters: filters, positions: partitions.positions(for: query, budget: budget))
        return top.count >= limit || budget >= count ? top : nil
    }
}

/// The ranker's catalog snapshot, the time it was stored and whether a read of it is under way.
final class CatalogSnapshotCache: Sendable {
    private struct State {
        var snapshot: CatalogSnapshot?
        var storedAt = -Double.infinity
        /// The catalog was too large at this time (no snapshot until a read after the TTL finds it small enough).
        var tooLargeAt = -Double.infinity
        var loading = false
    }

    let ttl: TimeInterval
    private let state = Mutex(State())

    init(ttl: TimeInterval) { self.ttl = ttl }

    private static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The snapshot to rank with: the latest one while it is younger than three TTLs (a refresh is claimed after one).
    func current() -> CatalogSnapshot? {
        let now = Self.now
        return state.withLock { now - $0.storedAt < 3 * ttl ? $0.snapshot : nil }
    }

    /// The latest snapshot whatever its age (a refresh reuses its partitions).
    var latest: CatalogSnapshot? { state.withLock { $0.snapshot } }

    /// Whether the caller should read the catalog: true once until `store` or `release`, when there is no snapshot or it
    /// is older than the TTL, unless the catalog was found too large within the TTL (`force`: whenever no read is under way).
    func claim(force: Bool = false) -> Bool {
        let now = Self.now
        return state.withLock { s in
            guard !s.loading, force || (now - s.storedAt >= ttl && now - s.tooLargeAt >= ttl) else { return false }
            s.loading = true
            return true
        }
    }

    /// Gives a claim up (the read failed).
    func release() { state.withLock { $0.loading = false } }

    /// Stores what a claimed read built; nil: the catalog is too large (the snapshot is dropped).
    func store(_ snapshot: CatalogSnapshot?) {
        let now = Self.now
        state.withLock { s in
            s.loading = false
            s.snapshot = snapshot
            if snapshot == nil { s.tooLargeAt = now } else { s.storedAt = now }
        }
    }
}
