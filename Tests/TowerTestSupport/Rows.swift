import Foundation
import LibPQ

/// Rows that tests of user vectors set up directly.
extension PQConnection {
    /// Inserts one row of the recent-interaction window (`interactions`): a `product_clicked` at `time`.
    public func insertInteraction(customer: Int64, product: Int64, at time: Date, eventID: Int64) throws {
        try execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id) VALUES ($1, $2, 'product_clicked', $3, $4)
            """, [customer, product, time, eventID])
    }

    /// Stores `embedding` as `customer`'s vector with `modelVersion`, updated at `time`.
    public func insertUserVector(customer: Int64, embedding: [Float], modelVersion: String, at time: Date) throws {
        try execute("INSERT INTO user_vectors (customer_id, embedding, model_version, updated_at) VALUES ($1, $2::vector, $3, $4)",
                    [customer, PQVector(embedding), modelVersion, time])
    }
}
