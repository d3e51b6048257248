import Foundation
import LibPQ
import Synchronization

/// The re-ranked head's top by cosine under a category filter, computed in memory: an exact scan of the top-level
/// category's products from the serving caches instead of a walk through the category's own index. The walk needs a
/// long candidate list (`categoryEfSearch`) because a customer whose interests lie elsewhere is far from every
/// product of the category, and costs 5–9 ms for the head; the scan of a category of 10,000 cached products costs
/// about one, and is exact. A category is scanned when it has its own index (it is large
/// enough to be walked otherwise) and holds at most `RankerConfiguration.categoryScanMaximum` products that can be
/// ranked; its members and their facts are cached for `servingCacheTTL` like every other product fact. They are read
/// in the background (about 150 ms of server time for 10,000 products, one heap page per product or so): a request that finds them
/// missing walks the index and asks the ranker to read them, so no request waits for the read.
struct CategoryMembers: Sendable {
    /// The category's active products with a vector, ascending, with their facts and vectors; nil when it holds more
    /// than the limit.
    let table: ProductTable?

    /// The members with their facts (vectors included): `product_id`, then `ProductFacts.columns(vector: true)`;
    /// one row more than `limit` tells the category is too large.
    static func statement(_ category: String, limit: Int) -> Statement {
        Statement("""
            SELECT p.product_id, \(ProductFacts.columns(vector: true)) FROM products p
            WHERE p.category_path @> ARRAY[$2::text] AND p.category_path[1] = $2 AND p.active AND p.embedding IS NOT NULL
            ORDER BY p.product_id LIMIT $1
            """, [limit + 1, category])
    }

    /// Products held (0 when too large).
    var count: Int { table?.count ?? 0 }

    /// The `limit` members passing `filters` with the highest cosine to `query` (pgvector's formula), best first,
    /// ties by ascending id.
    func nearest(_ limit: Int, query: [Float], filters: RankingFilters) -> [(id: Int64, cosine: Float, facts: ProductFacts)] {
        table.map { $0.nearest(limit, query: query, filters: filters, positions: [0 ..< $0.count]) } ?? []
    }
}

extension CategoryMembers {
    /// The members from `statement`'s result.
    init(_ result: PQResult, limit: Int) throws {
        table = result.count <= limit ? ProductTable(try ProductTable.rows(result)) : nil
    }
}

/// The scanned categories' members by top-level category, each fresh for the TTL, at most `maxProducts` products in
/// all (storing beyond that drops the oldest entries first), and the categories being read.
final class CategoryScanCache: Sendable {
    private struct Entry {
        let members: CategoryMembers
        let storedAt: Double
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var loading: Set<String> = []
    }

    let maxProducts: Int
    let ttl: TimeInterval
    private let state = Mutex(State())

    init(maxProducts: Int, ttl: TimeInterval) {
        self.maxProducts = max(0, maxProducts)
        self.ttl = ttl
    }

    private static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The fresh members of `category`, if cached.
    func value(for category: String) -> CategoryMembers? {
        let now = Self.now
        return state.withLock { s in
            guard let entry = s.entries[category] else { return nil }
            guard now - entry.storedAt < ttl else {
                s.entries[category] = nil
                return nil
            }
            return entry.members
        }
    }

    /// Whether the caller should read `category`'s members: true once until `store` or `release` (no other read of it
    /// is under way).
    func claim(_ category: String) -> Bool {
        guard maxProducts > 0 else { return false }
        return state.withLock { $0.loading.insert(category).inserted }
    }

    /// Gives a claim up (the read failed).
    func release(_ category: String) {
        _ = state.withLock { $0.loading.remove(category) }
    }

    /// Stores what a claimed read returned (a category too large is remembered as such for the TTL).
    func store(_ members: CategoryMembers, for category: String) {
        let now = Self.now
        state.withLock { s in
            s.loading.remove(category)
            guard members.count <= maxProducts else { return }
            s.entries[category] = Entry(members: members, storedAt: now)
            var total = s.entries.values.reduce(0) { $0 + $1.members.count }
            for (key, entry) in s.entries.sorted(by: { $0.value.storedAt < $1.value.storedAt })
            where total > maxProducts && key != category {
                s.entries[key] = nil
                total -= entry.members.count
            }
        }
    }
}

extension RankerConfiguration {
    /// The largest category the re-ranked head scans in memory: `categoryScanLimit`, at most a quarter of the product cache.
    var categoryScanMaximum: Int { min(categoryScanLimit, max(0, productCacheSize) / 4) }
}
