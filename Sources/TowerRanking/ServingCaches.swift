import TowerRerank

/// In-process caches of what the re-ranked feed reads that is the same for every customer, shared by a ranker's
/// threads, each entry fresh for `RankerConfiguration.servingCacheTTL` (60 s): product facts (filters, the
/// product side of the features, vectors), neighbour lists per product, the trending and popular lists per filter
/// set, and the index decision per filter set. What is customer-specific — the vector, the window history, the
/// products excluded from the feed, the top products by cosine — is read in every request, so a customer's next
/// event changes their feed at once; refreshed serving tables and re-embedded products are seen within the TTL.
final class ServingCaches: Sendable {
    let products: ExpiringCache<Int64, ProductFacts>
    /// Per product: its `product_neighbors` lists by kind, best first (empty when it has none).
    let neighbors: ExpiringCache<Int64, [NeighborKind: [Neighbor]]>
    /// The best products by a `product_trending` column under a filter set.
    let lists: ExpiringCache<RankedListKey, [Int64]>
    /// Whether a filter set's vector ordering uses an index (the planner's estimate; exclusions cleared).
    let indexChoices: ExpiringCache<RankingFilters, Bool>
    /// Per top-level category with its own index: its members and their facts (`CategoryMembers`), as many products in
    /// all as `products` holds.
    let categories: CategoryScanCache
    /// The whole catalog's rankable products with an inverted-file index (`CatalogSnapshot`), when small enough.
    let catalog: CatalogSnapshotCache

    init(configuration: RankerConfiguration) {
        let (ttl, size) = (configuration.servingCacheTTL, max(0, configuration.productCacheSize))
        let filterSets = size > 0 ? 1_024 : 0
        products = ExpiringCache(capacity: size, ttl: ttl)
        neighbors = ExpiringCache(capacity: (size + 3) / 4, ttl: ttl)
        lists = ExpiringCache(capacity: filterSets, ttl: ttl)
        indexChoices = ExpiringCache(capacity: filterSets, ttl: min(ttl, configuration.indexCheckInterval))
        categories = CategoryScanCache(maxProducts: size, ttl: ttl)
        catalog = CatalogSnapshotCache(ttl: ttl)
    }
}

/// A cached list: the `limit` best products by `column` under `filters`.
struct RankedListKey: Hashable, Sendable {
    let filters: RankingFilters
    let column: String
    let limit: Int
}
