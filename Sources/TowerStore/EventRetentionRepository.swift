import LibPQ

/// Enforces the event log's retention (TOWER_EVENT_RETENTION, default 90 days): events older than the
/// retention, measured from the wall clock, are deleted in bounded chunks so the sweep never holds long locks.
public struct EventRetentionRepository {
    private let connection: PQConnection
    private let retentionSeconds: Double

    public init(_ connection: PQConnection, retentionSeconds: Double) {
        self.connection = connection
        self.retentionSeconds = retentionSeconds
    }

    /// Deletes expired events, at most `chunk` per statement until none are left; returns how many were deleted.
    @discardableResult
    public func prune(chunk: Int = 10_000) throws -> Int {
        var total = 0
        while true {
            let n = try connection.execute("""
                DELETE FROM events WHERE event_id IN (
                    SELECT event_id FROM events WHERE occurred_at < now() - make_interval(secs => $1)
                    ORDER BY occurred_at LIMIT $2)
                """, [retentionSeconds, chunk])
            total += n
            if n < chunk { return total }
        }
    }
}
