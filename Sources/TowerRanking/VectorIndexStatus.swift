import Foundation
import Postgres

/// What the ranker knows about the HNSW index and the catalog size, re-read every
/// `RankerConfiguration.indexCheckInterval` seconds.
public struct VectorIndexStatus: Sendable, Equatable {
    /// A valid HNSW index with `vector_cosine_ops` on `products.embedding` exists.
    public let hasIndex: Bool
    /// PostgreSQL's estimate of the number of products (`pg_class.reltuples`; 0 before the first ANALYZE).
    public let estimatedProducts: Int

    /// Whether `search` uses the index for unrestricted vector orderings.
    public func usesIndex(_ search: VectorSearch) -> Bool {
        switch search {
        case .exact: return false
        case .approximate: return hasIndex
        case .automatic(let threshold): return hasIndex && estimatedProducts >= threshold
        }
    }

    /// Reads the status (any role may read the catalogs).
    static func read(_ connection: PostgresConnection) throws -> VectorIndexStatus {
        let row = try connection.query("""
            SELECT EXISTS (
                     SELECT 1 FROM pg_index i
                     JOIN pg_class ic ON ic.oid = i.indexrelid
                     JOIN pg_am am ON am.oid = ic.relam
                     JOIN pg_opclass oc ON oc.oid = i.indclass[0]
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                     WHERE i.indrelid = 'products'::regclass AND i.indnatts = 1 AND i.indisvalid AND i.indpred IS NULL
                       AND am.amname = 'hnsw' AND oc.opcname = 'vector_cosine_ops' AND a.attname = 'embedding'),
                   greatest(c.reltuples, 0)::float8
            FROM pg_class c WHERE c.oid = 'products'::regclass
            """)[0]
        return VectorIndexStatus(hasIndex: try row.decode(0), estimatedProducts: Int(try row.decode(1, as: Double.self)))
    }
}

/// The last `VectorIndexStatus` and when it was read; shared by a ranker's threads.
final class VectorIndexCache: @unchecked Sendable {
    private let lock = NSLock()
    private var status: VectorIndexStatus?
    private var readAt = Date.distantPast
    private let interval: TimeInterval

    init(interval: TimeInterval) { self.interval = interval }

    /// The cached status, re-read through `connection` when older than the interval.
    func current(_ connection: PostgresConnection) throws -> VectorIndexStatus {
        if let fresh = lock.withLock({ Date().timeIntervalSince(readAt) < interval ? status : nil }) { return fresh }
        let read = try VectorIndexStatus.read(connection)
        lock.withLock {
            status = read
            readAt = Date()
        }
        return read
    }
}
