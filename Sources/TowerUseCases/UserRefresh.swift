import Foundation
import LibPQ
import TowerMath
import TowerModel
import TowerStore

/// Refreshing users with a model (`tower users refresh`, after `tower train`): publish the model's item vectors as
/// the served product vectors, then recompute every stored customer's vector from their recent interactions, batched
/// through the daemon's inference path and under the daemon's per-customer locks (safe while towerd runs).
public struct UserRefresh {
    private let connection: PQConnection
    private let model: UserTowerModel
    private let window: TimeInterval
    private let repository: UserRefreshRepository
    private let vectors: UserVectorRepository

    /// `window`: seconds of history read (TOWER_WINDOW).
    public init(_ connection: PQConnection, model: UserTowerModel, window: TimeInterval) {
        self.connection = connection
        self.model = model
        self.window = window
        repository = UserRefreshRepository(connection)
        vectors = UserVectorRepository(connection)
    }

    /// Writes each product's served vector (`products.embedding`) from the model's item side: the text vector plus the
    /// learned residual, or the L2-normalised text vector for products without one. Returns how many changed, of how many.
    public func publishServedVectors(chunk: Int = 1_000) throws -> (changed: Int, products: Int) {
        let served = try EventLogRepository(connection).productVectors().compactMap { p in
            p.text.map { (productID: p.productID, vector: model.items?.vector(of: p.productID, text: $0) ?? VectorOps.l2Normalized($0)) }
        }
        var changed = 0
        for start in stride(from: 0, to: served.count, by: chunk) {
            changed += try repository.publishServedVectors(Array(served[start ..< min(start + chunk, served.count)]))
        }
        return (changed, served.count)
    }

    /// Customers with a stored vector or stored interactions: those `refreshUsers` visits.
    public func customerCount() throws -> Int { try repository.customerCount() }

    /// Recomputes the vector of every customer with a stored vector or stored interactions, `batchSize` customers per
    /// transaction and forward pass, from the interactions inside the window before `now()` (read per batch).
    /// Customers whose window is empty lose their stored vector unless `keepStale`. `progress` hears of each batch's
    /// customers. Returns how many vectors were written and removed.
    public func refreshUsers(batchSize: Int, keepStale: Bool, now: () -> Date = Date.init,
                             progress: (Int) -> Void = { _ in }) throws -> (written: Int, removed: Int) {
        precondition(batchSize > 0, "batch size must be positive")
        var written = 0, removed = 0, last: Int64?
        while true {
            let customers = try repository.customers(after: last, limit: batchSize)
            guard let end = customers.last else { break }
            last = end
            let done = try refresh(customers, now: now(), keepStale: keepStale)
            written += done.written
            removed += done.removed
            progress(customers.count)
        }
        return (written, removed)
    }

    /// One transaction: lock `customers`, read their histories since `now − window`, encode them as one batch, store
    /// the vectors with the model's version, prune interactions older than the window, remove the vectors of empty
    /// windows unless `keepStale`.
    /// - Throws: `UserVectorWriteError` when the model's output is unfit to store, `PQError`; either way nothing changed.
    func refresh(_ customers: [Int64], now: Date, keepStale: Bool) throws -> (written: Int, removed: Int) {
        guard !customers.isEmpty else { return (0, 0) }
        let windowStart = now.addingTimeInterval(-window)
        return try connection.transaction {
            let sorted = customers.sorted()
            try vectors.lock(customers: sorted)
            let histories = try vectors.histories(of: sorted, now: now, windowStart: windowStart)
            let encoded = sorted.filter { histories[$0] != nil }
            let output = encoded.isEmpty ? [] : model.encode(stored: encoded.map { histories[$0]! })
            try UserVectorRepository.check(output, for: encoded)
            try vectors.store(vectors: zip(encoded, output).map { (customerID: $0, embedding: $1) }, modelVersion: model.version,
                              updatedAt: now, pruning: sorted, windowStart: windowStart)
            let removed = keepStale ? 0 : try repository.removeVectors(of: sorted.filter { histories[$0] == nil })
            return (encoded.count, removed)
        }
    }
}
