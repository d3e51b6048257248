import Foundation
import LibPQ
import TowerMath
import TowerRanking
import TowerStore
import TowerTestSupport
import XCTest

/// A scratch database with the schema, a small random catalog inserted with plain SQL, and brute-force
/// reference orderings computed in Swift.
final class RankingFixture {
    struct Product {
        var id: Int64
        var merchant: String
        var category: [String]
        var color: String
        var price: Double?
        var popularity: Double
        var createdAt: Date
        var active = true
        var vector: [Float]?
    }

    let db: ScratchDatabase
    let writer: PQConnection
    private(set) var products: [Product] = []
    private(set) var customers: [Int64: [Float]] = [:]
    var rng = SplitMix64(seed: 7)

    init(_ label: String) throws {
        db = try ScratchDatabase(label)
        writer = try db.connect()
        try Migrator(writer).migrate()
    }

    deinit { db.drop() }

    /// A ranker over the read-only role.
    func ranker(_ configure: (inout RankerConfiguration) -> Void = { _ in }) -> Ranker {
        var configuration = RankerConfiguration()
        configure(&configuration)
        return Ranker(url: db.readOnlyURL, configuration: configuration)
    }

    func randomUnitVector() -> [Float] {
        let v = (0..<384).map { _ in rng.nextGaussian() }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    /// Inserts `count` products with random attributes from small vocabularies, so filters match several.
    @discardableResult
    func addRandomProducts(_ count: Int, firstID: Int64 = 1) throws -> [Product] {
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        let added = (0..<Int64(count)).map { i -> Product in
            let top = ["clothing", "home", "garden"][Int(rng.next() % 3)]
            let sub = ["a", "b", "c"][Int(rng.next() % 3)]
            return Product(id: firstID + i, merchant: "m\(rng.next() % 4)", category: [top, sub, "leaf\(rng.next() % 2)"],
                           color: ["red", "blue", "black"][Int(rng.next() % 3)],
                           price: rng.next() % 10 == 0 ? nil : Double(rng.next() % 10_000) / 100,
                           popularity: Double(rng.next() % 20),  // few values: many popularity ties
                           createdAt: base.addingTimeInterval(Double(rng.next() % 1000) * 3600),
                           active: rng.next() % 12 != 0,
                           vector: rng.next() % 15 == 0 ? nil : randomUnitVector())
        }
        try insert(added)
        return added
    }

    func insert(_ list: [Product]) throws {
        try writer.transaction {
            for p in list {
                try writer.execute("""
                    INSERT INTO products (product_id, name, merchant, category_path, color, price, popularity, created_at, active, embedding)
                    VALUES ($1, $2, $3, $4::text[], $5, $6, $7, $8, $9, $10::vector)
                    """, [p.id, "Product \(p.id)", p.merchant, PQArray(p.category), p.color, p.price, p.popularity,
                          p.createdAt, p.active, p.vector.map(PQVector.init)])
            }
        }
        products += list
    }

    func addCustomer(_ id: Int64, vector: [Float]) throws {
        try writer.execute("INSERT INTO user_vectors (customer_id, embedding, model_version) VALUES ($1, $2::vector, 'test')",
                           [id, PQVector(vector)])
        customers[id] = vector
    }

    // MARK: reference orderings

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += Double(a[i]) * Double(b[i]); na += Double(a[i] * a[i]); nb += Double(b[i] * b[i]) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    /// Active products passing `keep` with a vector, by cosine to `query` (desc), then id: (id, cosine + 1).
    func bruteForce(_ query: [Float], where keep: (Product) -> Bool = { _ in true }) -> [(id: Int64, score: Double)] {
        products.filter { $0.active && $0.vector != nil && keep($0) }
            .map { (id: $0.id, score: Self.cosine(query, $0.vector!) + 1) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
    }

    /// Active products passing `keep`, by popularity desc, created_at desc, id.
    func popularityOrder(where keep: (Product) -> Bool = { _ in true }) -> [Int64] {
        products.filter { $0.active && keep($0) }.sorted {
            ($0.popularity, $0.createdAt, -$0.id) > ($1.popularity, $1.createdAt, -$1.id)
        }.map(\.id)
    }

    /// Asserts `items` follow `expected` (ids and scores), allowing neighbours whose reference scores differ
    /// by less than float32 rounding to come in either order.
    static func assertMatches(_ items: [RankedItem], _ expected: [(id: Int64, score: Double)],
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(items.count, expected.count, "result size", file: file, line: line)
        let reference = Dictionary(uniqueKeysWithValues: expected.map { ($0.id, $0.score) })
        for (i, (item, want)) in zip(items, expected).enumerated() {
            guard let score = reference[item.productID] else {
                return XCTFail("position \(i): product \(item.productID) should not be in the result", file: file, line: line)
            }
            XCTAssertEqual(item.score, score, accuracy: 1e-5, "score of \(item.productID)", file: file, line: line)
            if item.productID != want.id {
                XCTAssertEqual(score, want.score, accuracy: 1e-6, "position \(i): got \(item.productID), expected \(want.id)",
                               file: file, line: line)
            }
        }
    }
}

/// Helpers the index tests share.
extension XCTestCase {
    /// Every page of `perPage` of a feed, requested one by one until a short page.
    func allPages(_ ranker: Ranker, customer: Int64, filters: RankingFilters, perPage: Int) throws -> [RankedItem] {
        var paged: [RankedItem] = []
        for page in 1... {
            let items = try ranker.feed(customer: customer, filters: filters, page: page, perPage: perPage).items
            paged += items
            if items.count < perPage { break }
        }
        return paged
    }

    /// Scans of index `name` so far (`pg_stat_user_indexes`).
    func indexScans(_ connection: PQConnection, _ name: String) throws -> Int {
        try connection.query("SELECT coalesce(sum(idx_scan), 0)::bigint FROM pg_stat_user_indexes WHERE indexrelname = $1",
                             [name])[0].decode(0)
    }

    /// Statistics reach the views a moment after the ranker's sessions go idle.
    func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 15)
        while try !condition() {
            guard Date() < deadline else { return XCTFail("timed out waiting until \(what)") }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
