import Foundation
import LibPQ
import TowerConfig
@testable import TowerRanking
import TowerRerank
import TowerStore
import XCTest

/// The two-stage feed against the real database: published parameters, history, neighbours, trending.
final class RerankFeedTests: XCTestCase {
    private var f: RankingFixture!
    private let weights: [String: Float] = ["product_viewed": 0.1, "product_clicked": 2, "product_added_to_cart": 5]
    /// Customer 1's window history: (product, event) — the products that have a vector and are active.
    private var touched: [Int64] = []

    override func setUpWithError() throws {
        f = try RankingFixture("rerank\(name.filter(\.isLetter).suffix(20))")
        let products = try f.addRandomProducts(300)
        try f.addCustomer(1, vector: f.randomUnitVector())
        try f.addCustomer(2, vector: f.randomUnitVector())
        let eligible = products.filter { $0.active && $0.vector != nil }.map(\.id)
        touched = [eligible[3], eligible[40], eligible[90]]
        try interact(1, touched[0], "product_clicked", minutesAgo: 30)
        try interact(1, touched[1], "product_added_to_cart", minutesAgo: 20)
        try interact(1, touched[2], "product_clicked", minutesAgo: 10)
        // Other customers' events make neighbours and trending products.
        for c in Int64(10)..<Int64(30) {
            for p in [touched[1], eligible[Int(c) * 5], eligible[(Int(c) * 7) % eligible.count]] {
                try interact(c, p, "product_added_to_cart", minutesAgo: Double(c))
            }
        }
        let types = EventTypes(pairs: weights.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        try TrendingRepository(f.writer, eventTypes: types).refresh()
        try NeighborRepository(f.writer, eventTypes: types).refresh()
    }

    override func tearDown() { f = nil }

    private var nextEvent: Int64 = 1
    private func interact(_ customer: Int64, _ product: Int64, _ event: String, minutesAgo: Double) throws {
        let at = Date().addingTimeInterval(-minutesAgo * 60)
        try f.writer.execute("INSERT INTO events (customer_id, product_id, event_name, occurred_at) VALUES ($1, $2, $3, $4)",
                             [customer, product, event, at])
        try f.writer.execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id) VALUES ($1, $2, $3, $4, $5)
            """, [customer, product, event, at, nextEvent])
        nextEvent += 1
    }

    /// Parameters that put the customer's own products and popular ones first, re-ranking the first `k`.
    private func parameters(version: String, k: Int) -> RerankParameters {
        var p = RerankParameters(version: version, candidates: CandidateSettings(similar: 60, repeat: 50, covisit: 20, popular: 10, rerank: k))
        p.linear[RerankFeatures.names.firstIndex(of: "cosine")!] = 1
        p.linear[RerankFeatures.names.firstIndex(of: "repeat_decayed")!] = 10
        p.linear[RerankFeatures.names.firstIndex(of: "popularity_7d")!] = 0.5
        return p
    }

    private func publish(_ p: RerankParameters) throws {
        try RerankParameterRepository(f.writer).publish(p, eventWeights: weights)
    }

    private func ids(_ items: [RankedItem]) -> [Int64] { items.map(\.productID) }

    func testPagesTileTheRerankedHeadAndTheCosineTailAcrossK() throws {
        let ranker = f.ranker { $0.rerankCheckInterval = 0 }
        let cosine = ids(try ranker.feed(customer: 1, perPage: 1000).items)
        try publish(parameters(version: "v1", k: 50))
        let all = ids(try ranker.feed(customer: 1, perPage: 1000).items)
        XCTAssertEqual(Set(all), Set(cosine), "the same products, each once")
        XCTAssertEqual(all.count, cosine.count)
        XCTAssertEqual(Array(all.prefix(3)).sorted(), touched.sorted(), "the re-ranker's order leads")
        XCTAssertNotEqual(Array(all.prefix(50)), Array(cosine.prefix(50)))
        let head = Set(all.prefix(50))
        XCTAssertEqual(Array(all.dropFirst(50)), cosine.filter { !head.contains($0) }, "after K: cosine order without the head")
        var pages: [Int64] = []
        for page in 1...9 { pages += ids(try ranker.feed(customer: 1, page: page, perPage: 17).items) }
        XCTAssertEqual(pages, Array(all.prefix(153)), "pages are slices of one order across the K boundary")
        XCTAssertEqual(ids(try ranker.feed(customer: 1, page: 3, perPage: 17).items), Array(all[34..<51]), "deterministic")
        XCTAssertEqual(try ranker.feed(customer: 1, perPage: 20, includeTotal: true).total, cosine.count)
    }

    func testFiltersAndSortsAndNewCustomers() throws {
        let ranker = f.ranker { $0.rerankCheckInterval = 0 }
        try publish(parameters(version: "v1", k: 40))
        let filters = RankingFilters(categoryPrefix: ["clothing"], maxPrice: 80)
        let items = ids(try ranker.feed(customer: 1, filters: filters, perPage: 1000).items)
        let expected = f.bruteForce(f.customers[1]!) { $0.category[0] == "clothing" && ($0.price ?? .infinity) <= 80 }.map(\.id)
        XCTAssertEqual(Set(items), Set(expected))
        XCTAssertEqual(items.count, expected.count)
        // Explicit sorts and customers without a vector are not re-ranked.
        XCTAssertEqual(try ranker.feed(customer: 1, sort: .priceAscending).items, try f.ranker().feed(customer: 1, sort: .priceAscending).items)
        let fallback = try ranker.feed(customer: 99, perPage: 30)
        XCTAssertEqual(fallback.mode, .fallback)
        XCTAssertEqual(ids(fallback.items), Array(f.popularityOrder().prefix(30)))
    }

    func testANewVersionIsServedWithoutRestartAndWithdrawRestoresCosine() throws {
        let ranker = f.ranker { $0.rerankCheckInterval = 0 }
        let cosine = try ranker.feed(customer: 1, perPage: 30).items
        XCTAssertNil(try ranker.rerankVersion())
        try publish(parameters(version: "v1", k: 50))
        XCTAssertEqual(try ranker.rerankVersion(), "v1")
        let first = ids(try ranker.feed(customer: 1, perPage: 30).items)
        var second = parameters(version: "v2", k: 50)
        second.linear = second.linear.map { -$0 }  // the opposite preference: the customer's products last
        try publish(second)
        XCTAssertEqual(try ranker.rerankVersion(), "v2")
        let reversed = ids(try ranker.feed(customer: 1, perPage: 30).items)
        XCTAssertNotEqual(reversed, first)
        XCTAssertTrue(Set(reversed).isDisjoint(with: touched))
        // A ranker that checks rarely keeps its version until the interval passes.
        let slow = f.ranker { $0.rerankCheckInterval = 3600 }
        XCTAssertEqual(try slow.rerankVersion(), "v2")
        try publish(parameters(version: "v1", k: 50))  // republishing v1 makes it current again
        XCTAssertEqual(try slow.rerankVersion(), "v2")
        XCTAssertEqual(try ranker.rerankVersion(), "v1")
        XCTAssertEqual(ids(try ranker.feed(customer: 1, perPage: 30).items), first)
        try RerankParameterRepository(f.writer).withdraw()
        XCTAssertEqual(try ranker.feed(customer: 1, perPage: 30).items, cosine)
    }

    /// Candidate sources per interest read `product_neighbors` online, kind similar included: the cosine-last product,
    /// listed as the most recent interaction's item-vector neighbour, enters the re-ranked head.
    func testPerInterestNeighborsIncludingSimilarAreServedCandidates() throws {
        let ranker = f.ranker { $0.rerankCheckInterval = 0 }
        let farthest = ids(try ranker.feed(customer: 1, perPage: 1000).items).last!
        try NeighborRepository(f.writer, eventTypes: EventTypes(pairs: [("product_viewed", 0.1)]))
            .write(.similar, [touched[2]: [Neighbor(productID: farthest, score: 0.8)]])
        func head(interests: Int) throws -> [Int64] {
            var p = RerankParameters(version: "interests-\(interests)",
                                     candidates: CandidateSettings(similar: 1, repeat: 0, covisit: 0, interests: interests, perInterest: 1,
                                                                   popular: 0, rerank: 10))
            p.linear[RerankFeatures.names.firstIndex(of: "source_covisit")!] = 1
            try publish(p)
            return ids(try ranker.feed(customer: 1, perPage: 10).items)
        }
        let without = try head(interests: 0)
        XCTAssertNotEqual(without.first, farthest)
        XCTAssertFalse(without.contains(farthest))
        let with = try head(interests: 1)
        XCTAssertTrue(with.prefix(4).contains(farthest), "\(with)")
    }

    /// Product facts, neighbour lists, trending lists and index decisions from the warm caches give the very order a
    /// ranker without caches reads fresh: pages, filters and the K boundary included.
    func testWarmCachesServeWhatReadingFreshServes() throws {
        try publish(parameters(version: "v1", k: 50))
        let cached = f.ranker { $0.rerankCheckInterval = 0 }
        let fresh = f.ranker { $0.rerankCheckInterval = 0; $0.productCacheSize = 0 }
        for filters in [RankingFilters.none, RankingFilters(categoryPrefix: ["clothing"]), RankingFilters(maxPrice: 50, color: "red")] {
            for customer: Int64 in [1, 2] {
                for _ in 0..<2 {  // the second round is served from the caches
                    XCTAssertEqual(try cached.feed(customer: customer, filters: filters, perPage: 1000).items,
                                   try fresh.feed(customer: customer, filters: filters, perPage: 1000).items, "\(filters)")
                    XCTAssertEqual(try cached.feed(customer: customer, filters: filters, page: 3, perPage: 19).items,
                                   try fresh.feed(customer: customer, filters: filters, page: 3, perPage: 19).items, "across K")
                }
            }
        }
    }

    /// What is the same for every customer is cached for `servingCacheTTL`: a refreshed neighbour table reaches a ranker's
    /// head once that has passed (here: at once with TTL 0), while the customer's own events count at once in any case.
    func testRefreshedNeighborsReachTheHeadAfterTheTTL() throws {
        var p = RerankParameters(version: "interests",
                                 candidates: CandidateSettings(similar: 1, repeat: 0, covisit: 0, interests: 1, perInterest: 1, popular: 0, rerank: 10))
        p.linear[RerankFeatures.names.firstIndex(of: "source_covisit")!] = 1
        try publish(p)
        let stale = f.ranker { $0.rerankCheckInterval = 0; $0.servingCacheTTL = 3600 }
        let fresh = f.ranker { $0.rerankCheckInterval = 0; $0.servingCacheTTL = 0 }
        let farthest = ids(try f.ranker().feed(customer: 1, perPage: 1000).items).last!
        for ranker in [stale, fresh] { XCTAssertFalse(ids(try ranker.feed(customer: 1, perPage: 10).items).contains(farthest)) }
        try NeighborRepository(f.writer, eventTypes: EventTypes(pairs: [("product_viewed", 0.1)]))
            .write(.similar, [touched[2]: [Neighbor(productID: farthest, score: 0.8)]])
        XCTAssertTrue(ids(try fresh.feed(customer: 1, perPage: 10).items).contains(farthest))
        XCTAssertFalse(ids(try stale.feed(customer: 1, perPage: 10).items).contains(farthest), "cached for the TTL")
    }

    func testTheNextEventChangesTheFeedAtOnce() throws {
        let ranker = f.ranker { $0.rerankCheckInterval = 0 }
        try publish(parameters(version: "v1", k: 50))
        let before = ids(try ranker.feed(customer: 2, perPage: 50).items)
        let product = before.last!
        try interact(2, product, "product_added_to_cart", minutesAgo: 0)
        XCTAssertEqual(try ranker.feed(customer: 2, perPage: 50).items.first?.productID, product)
    }

    func testExcludeCartedOrInteractedProducts() throws {
        let ranker = f.ranker { $0.rerankCheckInterval = 0 }
        for published in [false, true] {
            if published { try publish(parameters(version: "v1", k: 50)) }
            let all = ids(try ranker.feed(customer: 1, perPage: 1000).items)
            let noCart = ids(try ranker.feed(customer: 1, perPage: 1000, exclude: .carted).items)
            XCTAssertEqual(Set(noCart), Set(all).subtracting([touched[1]]), "published: \(published)")
            let noHistory = ids(try ranker.feed(customer: 1, perPage: 1000, exclude: .interacted).items)
            XCTAssertEqual(Set(noHistory), Set(all).subtracting(touched))
            XCTAssertEqual(try ranker.feed(customer: 1, perPage: 20, includeTotal: true, exclude: .interacted).total, all.count - 3)
        }
        // The fallback order too: customer 3 has no vector but a cart.
        try interact(3, f.popularityOrder()[0], "product_added_to_cart", minutesAgo: 1)
        XCTAssertEqual(ids(try ranker.feed(customer: 3, perPage: 5, exclude: .carted).items), Array(f.popularityOrder()[1...5]))
    }

    /// A category with its own index is ranked in the head by an exact scan of its cached facts, read in the
    /// background after the first request (which walks the index): the exact plan's order either way, pages included;
    /// a re-embedded product reaches the scanned head only when its cached facts expire (the cosine order after K,
    /// read fresh, has it at once).
    func testACategoryWithItsOwnIndexIsScannedFromTheCaches() throws {
        try VectorIndex(f.writer).create()
        XCTAssertTrue(try CategoryVectorIndex(f.writer).create(minProducts: 50).contains("clothing"))
        try publish(parameters(version: "v1", k: 50))
        let clothing = RankingFilters(categoryPrefix: ["clothing"])
        let scan = f.ranker { $0.vectorSearch = .approximate; $0.rerankCheckInterval = 0; $0.servingCacheTTL = 3600 }
        let exact = f.ranker { $0.vectorSearch = .exact; $0.rerankCheckInterval = 0; $0.productCacheSize = 0 }
        let walked = ids(try scan.feed(customer: 1, filters: clothing, perPage: 1000).items)
        XCTAssertEqual(walked, ids(try exact.feed(customer: 1, filters: clothing, perPage: 1000).items))
        try waitUntil("the category's members are cached") { scan.caches.categories.value(for: "clothing") != nil }
        for customer: Int64 in [1, 2] {
            let truth = ids(try exact.feed(customer: customer, filters: clothing, perPage: 1000).items)
            XCTAssertGreaterThan(truth.count, 60)
            XCTAssertEqual(ids(try scan.feed(customer: customer, filters: clothing, perPage: 1000).items), truth)
            XCTAssertEqual(ids(try scan.feed(customer: customer, filters: clothing, page: 3, perPage: 19).items), Array(truth[38..<57]))
        }
        let quiet: Int64 = try f.writer.query("""
            SELECT product_id FROM products WHERE category_path[1] = 'clothing' AND active AND embedding IS NOT NULL
              AND product_id NOT IN (SELECT product_id FROM events) AND product_id NOT IN (SELECT neighbor_id FROM product_neighbors)
            ORDER BY embedding <=> (SELECT embedding FROM user_vectors WHERE customer_id = 1) DESC, product_id LIMIT 1
            """)[0].decode(0)  // the farthest: not among the top 60 by cosine before the change
        try f.writer.execute("UPDATE products SET embedding = (SELECT embedding FROM user_vectors WHERE customer_id = 1) WHERE product_id = $1",
                             [quiet])
        XCTAssertLessThan(try XCTUnwrap(ids(try exact.feed(customer: 1, filters: clothing, perPage: 1000).items).firstIndex(of: quiet)), 50)
        XCTAssertEqual(ids(try scan.feed(customer: 1, filters: clothing, perPage: 1000).items).firstIndex(of: quiet), 50,
                       "not in the scanned head (its cached vector), first after K")
    }

    /// A feed that would walk the catalog's index ranks its head's top by cosine from the catalog snapshot once it is
    /// read (in the background, after the first request): the same order as the exact plan, pages tiling it; a product
    /// re-embedded since the snapshot keeps its old vector in the head (so the head came from the snapshot) and is first
    /// after K. Pages show the snapshot's product fields through `catalogProducts`, `products` reads them fresh.
    func testTheCatalogSnapshotRanksTheHeadAsTheExactPlanDoes() throws {
        try VectorIndex(f.writer).create()
        try publish(parameters(version: "v1", k: 50))
        let snapshot = f.ranker { $0.vectorSearch = .approximate; $0.rerankCheckInterval = 0; $0.servingCacheTTL = 3600 }
        let exact = f.ranker { $0.vectorSearch = .exact; $0.rerankCheckInterval = 0; $0.productCacheSize = 0 }
        XCTAssertEqual(ids(try snapshot.feed(customer: 1, perPage: 1000).items), ids(try exact.feed(customer: 1, perPage: 1000).items))
        try waitUntil("the catalog snapshot is read") { snapshot.catalogSnapshotProducts != nil }
        XCTAssertEqual(snapshot.catalogSnapshotProducts, try f.writer.query("SELECT count(*) FROM products WHERE active AND embedding IS NOT NULL")[0]
            .decode(0, as: Int.self))
        for customer: Int64 in [1, 2] {
            let truth = ids(try exact.feed(customer: customer, perPage: 1000).items)
            XCTAssertEqual(ids(try snapshot.feed(customer: customer, perPage: 1000).items), truth)
            XCTAssertEqual(ids(try snapshot.feed(customer: customer, page: 3, perPage: 19).items), Array(truth[38..<57]))
        }
        let quiet: Int64 = try f.writer.query("""
            SELECT product_id FROM products WHERE active AND embedding IS NOT NULL
              AND product_id NOT IN (SELECT product_id FROM events) AND product_id NOT IN (SELECT neighbor_id FROM product_neighbors)
            ORDER BY embedding <=> (SELECT embedding FROM user_vectors WHERE customer_id = 1) DESC, product_id LIMIT 1
            """)[0].decode(0)  // the farthest: not among the top 60 by cosine before the change
        try f.writer.execute("""
            UPDATE products SET embedding = (SELECT embedding FROM user_vectors WHERE customer_id = 1), name = 'renamed' WHERE product_id = $1
            """, [quiet])
        XCTAssertLessThan(try XCTUnwrap(ids(try exact.feed(customer: 1, perPage: 1000).items).firstIndex(of: quiet)), 50)
        XCTAssertEqual(ids(try snapshot.feed(customer: 1, perPage: 1000).items).firstIndex(of: quiet), 50,
                       "not in the head ranked from the snapshot (its old vector), first after K")
        XCTAssertNotEqual(try snapshot.catalogProducts([quiet]).first?.name, "renamed", "the snapshot's fields")
        XCTAssertEqual(try snapshot.products([quiet]).first?.name, "renamed", "read fresh")
        let cachesOff = f.ranker { $0.vectorSearch = .approximate; $0.rerankCheckInterval = 0; $0.productCacheSize = 0 }
        _ = try cachesOff.feed(customer: 1)
        Thread.sleep(forTimeInterval: 1)
        XCTAssertNil(cachesOff.catalogSnapshotProducts, "caches off: no snapshot is read")
    }

    /// With the HNSW index forced and its stream ending early (a scan budget of one tuple), the head's top by
    /// cosine continues exactly: the re-ranked order still holds every product once and pages tile it.
    func testTheIndexPathTilesAcrossKWhenTheStreamEndsEarly() throws {
        try VectorIndex(f.writer).create()
        try publish(parameters(version: "v1", k: 50))
        let exact = f.ranker { $0.vectorSearch = .exact; $0.rerankCheckInterval = 0 }
        let starved = f.ranker { $0.vectorSearch = .approximate; $0.maxScanTuples = 1; $0.rerankCheckInterval = 0 }
        for filters in [RankingFilters.none, RankingFilters(categoryPrefix: ["clothing"])] {
            let truth = ids(try exact.feed(customer: 1, filters: filters, perPage: 1000).items)
            let all = ids(try starved.feed(customer: 1, filters: filters, perPage: 1000).items)
            XCTAssertEqual(Set(all), Set(truth), "\(filters)")
            XCTAssertEqual(all.count, truth.count)
            var pages: [Int64] = []
            for page in 1...8 { pages += ids(try starved.feed(customer: 1, filters: filters, page: page, perPage: 13).items) }
            XCTAssertEqual(pages, Array(all.prefix(104)), "pages are slices of one order across the K boundary")
        }
    }
}
