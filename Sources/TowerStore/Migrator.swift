import LibPQ

/// Errors of schema management, each saying what to do.
public enum SchemaError: Error, CustomStringConvertible, Equatable {
    /// The database has a schema version this build does not know.
    case newerThanKnown(database: Int, known: Int)
    /// The schema is older than this build needs.
    case outdated(database: Int, needed: Int)

    public var description: String {
        switch self {
        case .newerThanKnown(let db, let known):
            return "the database schema is version \(db) but this build knows only up to \(known): upgrade Tower before using this database"
        case .outdated(let db, let needed):
            return "the database schema is version \(db) but version \(needed) is needed: run `tower migrate`"
        }
    }
}

/// Applies `Migrations.all` in order, once each, recording versions in `schema_migrations`.
/// Concurrent runs are serialised by an advisory lock, so several processes may migrate at start.
public struct Migrator {
    private let connection: PQConnection
    /// Lock key for `pg_advisory_xact_lock` (arbitrary, fixed).
    private static let lockKey: Int64 = 0x746F_7765_725F_6D69

    public init(_ connection: PQConnection) { self.connection = connection }

    /// The applied schema version (0 for an empty database).
    public func currentVersion() throws -> Int {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].decode(0, as: Bool.self)
        guard exists else { return 0 }
        return try connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].decode(0, as: Int.self)
    }

    /// The tables the ranking library and `tower serve` read: the only ones the read-only role may SELECT.
    /// Not the event log (`events`), applied message ids, producer event ids or `schema_migrations`.
    public static let readOnlyTables = ["products", "user_vectors", "interactions", "product_neighbors", "product_trending",
                                        "rerank_parameters"]

    /// Applies pending migrations; returns the versions applied (empty when up to date).
    /// `readOnlyRole`, when it exists, gets SELECT on `readOnlyTables` and nothing else (the ranking library's role):
    /// every run revokes what it had before, so older, broader grants are narrowed too.
    @discardableResult
    public func migrate(readOnlyRole: String? = "tower_ro") throws -> [Int] {
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
            try connection.run(script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let current = try currentVersion()
            guard current <= Migrations.latestVersion else {
                throw SchemaError.newerThanKnown(database: current, known: Migrations.latestVersion)
            }
            var applied: [Int] = []
            for m in Migrations.all where m.version > current {
                try connection.run(script: m.sql)
                try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name])
                applied.append(m.version)
            }
            if let role = readOnlyRole { try grantReadOnly(to: role) }
            return applied
        }
    }

    /// Throws unless the database is exactly at the version this build knows.
    public func requireCurrent() throws {
        let v = try currentVersion()
        if v > Migrations.latestVersion { throw SchemaError.newerThanKnown(database: v, known: Migrations.latestVersion) }
        if v < Migrations.latestVersion { throw SchemaError.outdated(database: v, needed: Migrations.latestVersion) }
    }

    private func grantReadOnly(to role: String) throws {
        let exists = try connection.query("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", [role])[0].decode(0, as: Bool.self)
        guard exists else { return }
        // Identifiers cannot be parameters: format(%I) and quote_ident quote the role and table names safely.
        let grants = try connection.query("""
            SELECT format('GRANT USAGE ON SCHEMA public TO %I', $1::text),
                   format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', $1::text),
                   format('GRANT SELECT ON %s TO %I', (SELECT string_agg(quote_ident(t), ', ') FROM unnest($2::text[]) AS t), $1::text)
            """, [role, PQArray(Self.readOnlyTables)])[0]
        for column in 0..<3 { try connection.execute(try grants.decode(column, as: String.self)) }
    }
}
