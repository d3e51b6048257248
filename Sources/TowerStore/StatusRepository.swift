import LibPQ

/// The counts `tower status` shows.
public struct StoreStatus: Equatable, Sendable {
    public var schemaVersion: Int
    public var products: Int
    /// Products with a ranking vector (`embedding`).
    public var productsWithVector: Int
    /// Rows in the event log.
    public var events: Int
    /// Rows in the recent-interaction window.
    public var interactions: Int
    /// Stored user vectors.
    public var users: Int

    public init(schemaVersion: Int, products: Int, productsWithVector: Int, events: Int, interactions: Int, users: Int) {
        self.schemaVersion = schemaVersion
        self.products = products
        self.productsWithVector = productsWithVector
        self.events = events
        self.interactions = interactions
        self.users = users
    }
}

/// Reads the store's schema version and table sizes.
public struct StatusRepository {
    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Exact counts (one snapshot). An unmigrated database (version 0) reports zeros.
    public func status() throws -> StoreStatus {
        try connection.transaction(readOnly: true) {
            let version = try Migrator(connection).currentVersion()
            guard version > 0 else {
                return StoreStatus(schemaVersion: 0, products: 0, productsWithVector: 0, events: 0, interactions: 0, users: 0)
            }
            let r = try connection.query("""
                SELECT (SELECT count(*) FROM products),
                       (SELECT count(*) FROM products WHERE embedding IS NOT NULL),
                       (SELECT count(*) FROM events),
                       (SELECT count(*) FROM interactions),
                       (SELECT count(*) FROM user_vectors)
                """)[0]
            return StoreStatus(schemaVersion: version, products: try r.decode(0), productsWithVector: try r.decode(1),
                               events: try r.decode(2), interactions: try r.decode(3), users: try r.decode(4))
        }
    }
}
