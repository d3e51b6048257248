import TowerMath
@testable import TowerRanking
import XCTest

/// The catalog snapshot's in-memory top by cosine (`CatalogSnapshot`, `VectorPartitions`, `ProductTable`) against a
/// brute-force exact order, on clustered vectors of a small dimension (the code does not depend on it).
final class CatalogSnapshotTests: XCTestCase {
    /// `count` products in 200 clusters: a random center per cluster plus noise, ids 1…count.
    private func rows(_ count: Int, dimension: Int = 16, seed: UInt64 = 7) -> [(id: Int64, facts: ProductFacts)] {
        var rng = SplitMix64(seed: seed)
        let centers = (0..<200).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        return (1...count).map { id in
            let center = centers[Int.random(in: 0..<centers.count, using: &rng)]
            return (Int64(id), ProductFacts.sample(vector: center.map { $0 + Float.random(in: -0.3...0.3, using: &rng) },
                                                   category: id % 3 == 0 ? "c" : "d"))
        }
    }

    /// The exact top: cosine descending, then id ascending.
    private func exact(_ rows: [(id: Int64, facts: ProductFacts)], _ query: [Float], _ limit: Int,
                       where keep: (Int64, ProductFacts) -> Bool = { _, _ in true }) -> [Int64] {
        let queryNorm = Double(VectorMath.dot(query, query)).squareRoot()
        let scored: [(id: Int64, cosine: Float)] = rows.filter { keep($0.id, $0.facts) }.map { row in
            (row.id, VectorMath.cosine(row.facts.vector!, query, queryNorm: queryNorm))
        }
        let sorted = scored.sorted { a, b in a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id }
        return sorted.prefix(limit).map(\.id)
    }

    private func queries(_ n: Int, dimension: Int = 16) -> [[Float]] {
        var rng = SplitMix64(seed: 99)
        return (0..<n).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
    }

    func testAScanOfEveryListIsTheExactOrder() {
        let rows = rows(5_000)
        let snapshot = CatalogSnapshot(rows: rows, previous: nil)
        XCTAssertEqual(snapshot.partitions.centroids.count, 141, "about 2√5,000 lists")
        XCTAssertEqual(snapshot.partitions.listStarts.last, 5_000)
        for query in queries(10) {
            let top = snapshot.nearest(50, query: query, filters: .none, budget: snapshot.count)
            XCTAssertEqual(top?.map(\.id), exact(rows, query, 50))
            let queryNorm = Double(VectorMath.dot(query, query)).squareRoot()
            XCTAssertEqual(top?.map(\.cosine), top?.map { VectorMath.cosine(rows[Int($0.id) - 1].facts.vector!, query, queryNorm: queryNorm) },
                           "exact cosines")
        }
    }

    func testAProbeOfAFewListsFindsMostOfTheTop() {
        let rows = rows(8_000)
        let snapshot = CatalogSnapshot(rows: rows, previous: nil)
        var found = 0, wanted = 0
        for query in queries(20) {
            let top = Set(snapshot.nearest(20, query: query, filters: .none, budget: 800)?.map(\.id) ?? [])
            let truth = exact(rows, query, 20)
            found += truth.filter(top.contains).count
            wanted += truth.count
        }
        XCTAssertGreaterThan(Double(found) / Double(wanted), 0.9, "recall@20 scanning 10 % of the rows")
    }

    func testFiltersApplyAndNarrowOnesFallBackToTheDatabase() {
        let rows = rows(5_000)
        let snapshot = CatalogSnapshot(rows: rows, previous: nil)
        let query = queries(1)[0]
        let inC = RankingFilters(categoryPrefix: ["c"], excludedProductIDs: [3, 6])
        XCTAssertEqual(snapshot.nearest(30, query: query, filters: inC, budget: snapshot.count)?.map(\.id),
                       exact(rows, query, 30) { id, f in f.categoryPath == ["c"] && id != 3 && id != 6 })
        let one = RankingFilters(productIDs: [9])
        XCTAssertNil(snapshot.nearest(5, query: query, filters: one, budget: 100), "too few in the probed lists: ask the database")
        XCTAssertEqual(snapshot.nearest(5, query: query, filters: one, budget: snapshot.count)?.map(\.id), [9], "the whole catalog: exact")
    }

    func testARefreshKeepsTheCentroidsAndTheListsOfUnchangedProducts() {
        var rows = rows(5_000)
        let first = CatalogSnapshot(rows: rows, previous: nil)
        rows[10] = (rows[10].id, ProductFacts.sample(vector: rows[4_000].facts.vector!, category: "d"))  // re-embedded
        rows.append((9_999, ProductFacts.sample(vector: rows[20].facts.vector!, category: "d")))  // new
        let second = CatalogSnapshot(rows: rows, previous: first)
        XCTAssertEqual(second.partitions.centroids, first.partitions.centroids)
        func list(_ s: CatalogSnapshot, _ id: Int64) -> Int { s.partitions.list(ofPosition: s.table.ids.firstIndex(of: id)!) }
        for id in [1, 2, 500, 4_999] as [Int64] { XCTAssertEqual(list(second, id), list(first, id)) }
        XCTAssertEqual(list(second, rows[10].id), list(first, rows[4_000].id), "a changed vector is assigned again")
        XCTAssertEqual(list(second, 9_999), list(first, rows[20].id))
        XCTAssertEqual(second.product(9_999)?.name, "p")
        let query = rows[4_000].facts.vector!
        XCTAssertEqual(second.facts(of: [rows[10].id], query: query, filters: .none).cosines[rows[10].id], 1, "the new vector's cosine")
        XCTAssertEqual(second.facts(of: [rows[10].id], query: query, filters: RankingFilters(categoryPrefix: ["c"])).cosines, [:],
                       "outside the filters: facts without a cosine")
    }

    func testQuantisationScalesToTheLargestComponent() {
        let (codes, scale) = ProductTable.quantise([0.5, -1, 0.25, 0])
        XCTAssertEqual(scale, 1 / 127)
        XCTAssertEqual(codes, [64, -127, 32, 0])
        XCTAssertEqual(ProductTable.quantise([0, 0]).codes, [0, 0])
    }

    func testTheSnapshotCacheClaimsOneReadAndServesAStaleSnapshotWhileRefreshing() {
        let cache = CatalogSnapshotCache(ttl: 60)
        XCTAssertTrue(cache.claim())
        XCTAssertFalse(cache.claim(), "a read is under way")
        cache.release()
        XCTAssertTrue(cache.claim(), "released")
        cache.store(CatalogSnapshot(rows: rows(10), previous: nil))
        XCTAssertEqual(cache.current()?.count, 10)
        XCTAssertFalse(cache.claim(), "fresh")
        let stale = CatalogSnapshotCache(ttl: 0.05)
        XCTAssertTrue(stale.claim())
        stale.store(CatalogSnapshot(rows: rows(10), previous: nil))
        Thread.sleep(forTimeInterval: 0.06)
        XCTAssertNotNil(stale.current(), "served for up to three TTLs")
        XCTAssertTrue(stale.claim(), "and refreshed after one")
        stale.store(nil)
        XCTAssertNil(stale.current(), "too large: no snapshot")
        XCTAssertFalse(stale.claim(), "and not read again within the TTL")
    }
}

extension CatalogSnapshot {
    /// The snapshot of test rows whose facts carry their vectors.
    init(rows: [(id: Int64, facts: ProductFacts)], previous: CatalogSnapshot?) {
        self.init(rows: rows.map { ($0.id, $0.facts, $0.facts.vector!) }, previous: previous)
    }
}

extension ProductFacts {
    /// Facts for unit tests: an active product named "p" in `category` with `vector`.
    static func sample(vector: [Float], category: String = "c") -> ProductFacts {
        ProductFacts(name: "p", popularity: 0, active: true, categoryPath: [category], merchant: nil, color: nil, price: nil, priceTier: nil,
                     createdAt: 0, weight1d: 0, weight7d: 0, weight30d: 0, trendScore: 0, vector: vector)
    }
}
