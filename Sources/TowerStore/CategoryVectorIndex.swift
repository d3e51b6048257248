import Foundation
import LibPQ

/// Partial HNSW indexes, one per large top-level category (`WHERE category_path[1] = '<category>'`), so a
/// feed filtered to such a category walks a graph of that category's products only: a few milliseconds
/// where an exact scan of its rows costs tens and the whole-catalog graph filtered afterwards misses most
/// of the answer. Each index carries its category as its comment, which is how `TowerRanking` finds them.
/// DDL needs the table owner's role.
public struct CategoryVectorIndex {
    /// Every such index is named this prefix and 12 hex digits of the category's MD5.
    public static let namePrefix = "products_embedding_hnsw_category_"

    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Builds the missing indexes of the top-level categories holding at least `minProducts` active products
    /// with a vector (same graph settings as `VectorIndex`), then ANALYZE; returns the categories it built.
    @discardableResult
    public func create(minProducts: Int, _ options: VectorIndex.Options = VectorIndex.Options()) throws -> [String] {
        let categories = try connection.query("""
            SELECT category_path[1] AS c FROM products
            WHERE active AND embedding IS NOT NULL AND cardinality(category_path) > 0
            GROUP BY 1 HAVING count(*) >= $1::int ORDER BY 1
            """, [minProducts]).rows.map { try $0.decode(0, as: String.self) }
        let existing = Set(try list().keys)
        var settings = [("maintenance_work_mem", options.maintenanceWorkMem)]
        if let workers = options.parallelWorkers { settings.append(("max_parallel_maintenance_workers", String(workers))) }
        for (name, value) in settings { try connection.execute("SELECT set_config($1, $2, false)", [name, value]) }
        defer { for (name, _) in settings { _ = try? connection.execute("SELECT set_config($1, NULL, false)", [name]) } }
        var built: [String] = []
        for category in categories where !existing.contains(category) {
            // DDL takes no parameters: format() quotes the category (%L) and the name (%I) server-side.
            let r = try connection.query("""
                SELECT format('CREATE INDEX %s%I ON products USING hnsw (embedding vector_cosine_ops) WITH (m = %s, ef_construction = %s) WHERE category_path[1] = %L',
                              CASE WHEN $5 THEN 'CONCURRENTLY ' ELSE '' END, $1 || left(md5($2), 12), $3::int, $4::int, $2),
                       format('COMMENT ON INDEX %I IS %L', $1 || left(md5($2), 12), $2)
                """, [Self.namePrefix, category, options.m, options.efConstruction, options.concurrently])
            try connection.execute(try r[0].decode(0, as: String.self))
            try connection.execute(try r[0].decode(1, as: String.self))
            built.append(category)
        }
        if !built.isEmpty { try connection.execute("ANALYZE products") }
        return built
    }

    /// Drops every category index; returns how many there were.
    @discardableResult
    public func drop() throws -> Int {
        let names = try list().values
        for name in names { try connection.execute(try connection.query("SELECT format('DROP INDEX IF EXISTS %I', $1::text)", [name])[0].decode(0)) }
        return names.count
    }

    /// The category indexes by category (their names as values).
    public func list() throws -> [String: String] {
        var out: [String: String] = [:]
        for r in try connection.query("""
            SELECT obj_description(c.oid, 'pg_class'), c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
            WHERE i.indrelid = 'products'::regclass AND starts_with(c.relname, $1) AND obj_description(c.oid, 'pg_class') IS NOT NULL
            """, [Self.namePrefix]).rows {
            out[try r.decode(0)] = try r.decode(1)
        }
        return out
    }
}
