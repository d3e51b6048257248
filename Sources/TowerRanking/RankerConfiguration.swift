public import Foundation
import LibPQ

/// How vector orderings (personalized feeds, `similar`) are computed.
public enum VectorSearch: Sendable, Equatable {
    /// Always an exact scan: every candidate's distance is computed. Exact, and fast for small catalogs.
    case exact
    /// The HNSW index (`tower index create`) with pgvector's iterative scans whatever the catalog size and
    /// filters (allow lists excepted); exact scan while there is no index.
    case approximate
    /// The HNSW index once it exists and the catalog has at least `threshold` products; exact below.
    /// Filters (category, merchant, color, price) that leave fewer than `threshold` candidates, and allow
    /// lists, get an exact scan too.
    case automatic(threshold: Int)

    /// The default: HNSW from 20,000 products (see docs/ranking.md for the crossover on the reference machine).
    public static let `default` = VectorSearch.automatic(threshold: 20_000)
}

/// Settings of a `Ranker`. The defaults suit a shop's web server; see docs/ranking.md.
public struct RankerConfiguration: Sendable {
    /// Most connections the pool opens; callers beyond that wait for one to come back.
    public var maxConnections: Int = 4
    /// How long a caller waits for a free connection before `RankingError.poolExhausted`.
    public var acquireTimeout: TimeInterval = 5
    /// Added to the URL unless it sets `connect_timeout` itself, so a dead server fails fast.
    public var connectTimeoutSeconds: Int = 5
    /// Retries of a request after a lost connection or a server restart (reads are safe to repeat).
    public var retry = Retry(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.5)
    /// Per-statement limit (`statement_timeout`); nil: the server's setting.
    public var statementTimeout: TimeInterval? = 5
    /// Exact scan or HNSW.
    public var vectorSearch: VectorSearch = .default
    /// `hnsw.ef_search`: the HNSW candidate list. Fixed for every page so pages stay consistent; iterative
    /// scans (strict order) continue past it for deep pages and selective filters.
    public var efSearch: Int = 100
    /// `hnsw.ef_search` of walks through a category's own index. Larger than `efSearch`: a customer whose
    /// interests lie elsewhere is far from every product of the category, where a graph walk with a short
    /// candidate list stops early (recall@20 0.58 with 100, 0.99 with 1,000 on the benchmark catalog).
    public var categoryEfSearch: Int = 1_000
    /// `hnsw.max_scan_tuples`: how far an iterative scan may go before giving up. When the index's stream
    /// ends early, the exact order of the products it did not yield continues it, so pages are never partial.
    public var maxScanTuples: Int = 20_000
    /// Under `automatic`, a filter to a top-level category with an index of its own (`tower index create`)
    /// walks that index when it leaves at least this many candidates; narrower filters are ranked exactly.
    public var categoryIndexMinimum: Int = 2_000
    /// How often the ranker re-checks whether the HNSW index exists and how large the catalog is.
    public var indexCheckInterval: TimeInterval = 60
    /// How often the ranker checks `rerank_parameters` for a newly published re-ranker version.
    public var rerankCheckInterval: TimeInterval = 60
    /// How long the re-ranked feed's in-process caches keep what is the same for every customer (product facts and
    /// vectors, neighbour lists, trending lists, index decisions per filter set): how late a refreshed serving table,
    /// a re-embedded or deactivated product reaches the re-ranked head. The customer's own data is read every request.
    public var servingCacheTTL: TimeInterval = 60
    /// Products whose facts and vector the ranker keeps in memory (about 1.7 kB each at 384 dimensions; neighbour
    /// lists of a quarter as many products, about 2.6 kB each); 0 turns the caches off.
    public var productCacheSize: Int = 100_000
    /// The re-ranked head ranks a category with its own index exactly in memory, from the cached facts, when it holds at
    /// most this many products that can be ranked (and at most a quarter of `productCacheSize`); larger ones walk their
    /// index. 0: always walk.
    public var categoryScanLimit: Int = 25_000
    /// The re-ranked head of a feed that would walk the catalog's HNSW index finds its top by cosine in an in-memory
    /// snapshot of the catalog (`CatalogSnapshot`: facts, vectors as floats and int4 codes and an inverted-file index,
    /// about 1.9 kB a product; a refresh holds the read rows, the old and the new snapshot at once, about three times
    /// that) when the catalog holds at most this many products that can be ranked; larger catalogs are walked. 0: always
    /// walk (so do `productCacheSize` 0 and `servingCacheTTL` 0, which turn every serving cache off).
    public var catalogSnapshotLimit: Int = 200_000
    /// Share of the snapshot's products the head's top by cosine scans (whole lists of the inverted-file index, the
    /// most similar centroids first), and the fewest it scans: more is slower and closer to exact (docs/ranking.md).
    public var catalogProbeShare: Double = 0.10
    public var catalogProbeMinimum: Int = 4_096
    /// Largest allowed `perPage` (and `similar` limit).
    public var maxPerPage: Int = 1_000
    /// Diversity reorders the first this-many results of the undiversified order (see `Diversity`).
    public var diversityWindow: Int = 200

    public init() {}

    /// Products the catalog snapshot's top by cosine scans in a snapshot of `count` products.
    public func catalogProbeBudget(_ count: Int) -> Int {
        max(catalogProbeMinimum, Int((Double(count) * catalogProbeShare).rounded(.up)))
    }

    /// Exponential backoff with full jitter: retry n waits a random time of at most min(maxDelay, baseDelay·2ⁿ).
    public struct Retry: Sendable, Equatable {
        /// Attempts in all, the first one included (1: no retries).
        public var maxAttempts: Int
        /// Seconds.
        public var baseDelay: TimeInterval
        /// Seconds.
        public var maxDelay: TimeInterval

        public init(maxAttempts: Int, baseDelay: TimeInterval, maxDelay: TimeInterval) {
            self.maxAttempts = maxAttempts
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
        }

        /// The wrapper's policy with these values.
        var policy: RetryPolicy { RetryPolicy(maxAttempts: maxAttempts, baseDelay: baseDelay, maxDelay: maxDelay) }
    }
}
