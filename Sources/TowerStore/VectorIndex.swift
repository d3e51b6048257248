import Foundation
import LibPQ

/// The HNSW index ranking uses on `products.embedding` (cosine ops): create, drop, inspect.
/// DDL needs the table owner's role (TOWER_DATABASE_URL), not the read-only one.
public struct VectorIndex {
    /// The index name `create` uses.
    public static let name = "products_embedding_hnsw"

    /// Build settings. pgvector allows m in 2…100 and ef_construction in 4…1000, at least 2·m.
    public struct Options: Sendable {
        /// Graph degree: more links, better recall, bigger and slower to build.
        public var m = 16
        /// Candidate list while building: higher is better recall and a slower build. 128 rather than
        /// pgvector's 64: with 64, clustered catalogs sometimes leave a cluster unreachable (see docs/ranking.md).
        public var efConstruction = 128
        /// `maintenance_work_mem` for the build; the graph should fit (about 2.5 kB per product at 384 dims, m = 16).
        public var maintenanceWorkMem = "1GB"
        /// `max_parallel_maintenance_workers` for the build (nil: the server's setting).
        public var parallelWorkers: Int?
        /// Build without blocking writes (`CREATE INDEX CONCURRENTLY`; slower).
        public var concurrently = false

        public init() {}
    }

    /// What `status` reports.
    public struct Status: Sendable, Equatable {
        public let valid: Bool
        public let sizeBytes: Int
        /// The index's reloptions, e.g. `["m=16", "ef_construction=64"]` (empty: pgvector defaults 16/64).
        public let options: [String]
    }

    /// A build's progress as `pg_stat_progress_create_index` reports it.
    public struct Progress: Sendable {
        public let phase: String
        public let tuplesDone: Int
        public let tuplesTotal: Int
    }

    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Creates the index; false when a valid one already exists (drop it first to rebuild). An invalid
    /// leftover of a failed concurrent build is dropped and rebuilt.
    @discardableResult
    public func create(_ options: Options = Options()) throws -> Bool {
        guard (2...100).contains(options.m), (4...1000).contains(options.efConstruction),
              options.efConstruction >= 2 * options.m else {
            throw VectorIndexError.invalidOptions(m: options.m, efConstruction: options.efConstruction)
        }
        if let existing = try status() {
            if existing.valid { return false }
            try drop(concurrently: options.concurrently)
        }
        var settings = [("maintenance_work_mem", options.maintenanceWorkMem)]
        if let workers = options.parallelWorkers { settings.append(("max_parallel_maintenance_workers", String(workers))) }
        for (name, value) in settings { try connection.execute("SELECT set_config($1, $2, false)", [name, value]) }
        defer { for (name, _) in settings { _ = try? connection.execute("SELECT set_config($1, NULL, false)", [name]) } }
        // DDL takes no parameters: the two numbers are validated integers.
        try connection.execute("""
            CREATE INDEX \(options.concurrently ? "CONCURRENTLY " : "")\(Self.name) ON products
            USING hnsw (embedding vector_cosine_ops) WITH (m = \(options.m), ef_construction = \(options.efConstruction))
            """)
        try connection.execute("ANALYZE products")
        return true
    }

    /// Drops the index; false when there was none.
    @discardableResult
    public func drop(concurrently: Bool = false) throws -> Bool {
        guard try status() != nil else { return false }
        try connection.execute("DROP INDEX \(concurrently ? "CONCURRENTLY " : "")IF EXISTS \(Self.name)")
        return true
    }

    /// The index's state, or nil when it does not exist.
    public func status() throws -> Status? {
        let r = try connection.query("""
            SELECT i.indisvalid, pg_relation_size(c.oid), coalesce(c.reloptions, '{}')
            FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
            WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace
            """, [Self.name])
        guard r.count > 0 else { return nil }
        return Status(valid: try r[0].decode(0), sizeBytes: try r[0].decode(1), options: try r[0].decode(2))
    }

    /// The progress of a running build on `products` (from another connection), or nil.
    public static func buildProgress(_ connection: PQConnection) throws -> Progress? {
        let r = try connection.query("""
            SELECT phase, tuples_done, tuples_total FROM pg_stat_progress_create_index
            WHERE relid = 'products'::regclass
            """)
        guard r.count > 0 else { return nil }
        return Progress(phase: try r[0].decode(0), tuplesDone: try r[0].decode(1), tuplesTotal: try r[0].decode(2))
    }
}

/// Errors of index management.
public enum VectorIndexError: Error, CustomStringConvertible, Equatable {
    case invalidOptions(m: Int, efConstruction: Int)

    public var description: String {
        switch self {
        case .invalidOptions(let m, let ef):
            return "invalid HNSW options m=\(m), ef_construction=\(ef): use m in 2…100 and ef_construction in 4…1000 with ef_construction ≥ 2·m"
        }
    }
}
