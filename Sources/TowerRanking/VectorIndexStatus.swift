import Foundation
import LibPQ
import Synchronization

/// What the ranker knows about the HNSW index and the catalog size, re-read every
/// `RankerConfiguration.indexCheckInterval` seconds.
public struct VectorIndexStatus: Sendable, Equatable {
    /// A valid HNSW index with `vector_cosine_ops` on `products.embedding` exists.
    public let hasIndex: Bool
    /// PostgreSQL's estimate of the number of products (`pg_class.reltuples`; 0 before the first ANALYZE).
    public let estimatedProducts: Int
    /// Top-level categories with a valid partial HNSW index of their own (`tower index create`; TowerStore's
    /// `CategoryVectorIndex`): feeds filtered to one of them walk that graph.
    public let categoryIndexes: Set<String>

    /// Whether `search` may use a category index (any search but `.exact`).
    func usesCategoryIndex(_ search: VectorSearch, for prefix: [String]) -> Bool {
        search != .exact && prefix.first.map(categoryIndexes.contains) == true
    }

    /// Whether `search` uses the index for unrestricted vector orderings.
    public func usesIndex(_ search: VectorSearch) -> Bool {
        switch search {
        case .exact: return false
        case .approximate: return hasIndex
        case .automatic(let threshold): return hasIndex && estimatedProducts >= threshold
        }
    }

    /// Reads the status (any role may read the catalogs).
    static func read(_ session: ReadSession) throws -> VectorIndexStatus {
        let row = try session.query("""
            SELECT EXISTS (
                     SELECT 1 FROM pg_index i
                     JOIN pg_class ic ON ic.oid = i.indexrelid
                     JOIN pg_am am ON am.oid = ic.relam
                     JOIN pg_opclass oc ON oc.oid = i.indclass[0]
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                     WHERE i.indrelid = 'products'::regclass AND i.indnatts = 1 AND i.indisvalid AND i.indpred IS NULL
                       AND am.amname = 'hnsw' AND oc.opcname = 'vector_cosine_ops' AND a.attname = 'embedding'),
                   greatest(c.reltuples, 0)::float8,
                   ARRAY(SELECT obj_description(i.indexrelid, 'pg_class')
                         FROM pg_index i
                         JOIN pg_class ic ON ic.oid = i.indexrelid
                         JOIN pg_am am ON am.oid = ic.relam
                         JOIN pg_opclass oc ON oc.oid = i.indclass[0]
                         WHERE i.indrelid = 'products'::regclass AND i.indisvalid AND i.indpred IS NOT NULL
                           AND am.amname = 'hnsw' AND oc.opcname = 'vector_cosine_ops'
                           -- TowerStore's CategoryVectorIndex.namePrefix (this module links no TowerStore)
                           AND starts_with(ic.relname, 'products_embedding_hnsw_category_')
                           AND obj_description(i.indexrelid, 'pg_class') IS NOT NULL)
            FROM pg_class c WHERE c.oid = 'products'::regclass
            """)[0]
        return VectorIndexStatus(hasIndex: try row.decode(0), estimatedProducts: Int(try row.decode(1, as: Double.self)),
                                 categoryIndexes: Set(try row.decode(2, as: [String].self)))
    }
}

/// The last `VectorIndexStatus` and when it was read; shared by a ranker's threads.
final class VectorIndexCache: Sendable {
    private let last = Mutex<(status: VectorIndexStatus?, readAt: Date)>((nil, .distantPast))
    private let interval: TimeInterval

    init(interval: TimeInterval) { self.interval = interval }

    /// The cached status, re-read in `session` when older than the interval.
    func current(_ session: ReadSession) throws -> VectorIndexStatus {
        if let fresh = last.withLock({ Date().timeIntervalSince($0.readAt) < interval ? $0.status : nil }) { return fresh }
        let read = try VectorIndexStatus.read(session)
        last.withLock { $0 = (read, Date()) }
        return read
    }
}
