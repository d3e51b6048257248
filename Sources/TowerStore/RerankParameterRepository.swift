import Foundation
import LibPQ
import TowerRerank

/// Publishes re-ranker parameters to `rerank_parameters`, where every process that links TowerRanking (any
/// host, any replica) reads the newest one and switches to it within its check interval, without a restart.
public struct RerankParameterRepository {
    private let connection: PQConnection

    public init(_ connection: PQConnection) { self.connection = connection }

    /// Stores `parameters` (validated) under their version, with the event weights (TOWER_EVENT_WEIGHTS)
    /// the serving side weighs the customer's history by, and makes them the served ones. Publishing a
    /// version again makes it current again (a roll-back).
    public func publish(_ parameters: RerankParameters, eventWeights: [String: Float]) throws {
        try parameters.validate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let weights = String(decoding: try encoder.encode(eventWeights), as: UTF8.self)
        try connection.execute("""
            INSERT INTO rerank_parameters (version, parameters, event_weights) VALUES ($1, $2, $3)
            ON CONFLICT (version) DO UPDATE SET parameters = excluded.parameters, event_weights = excluded.event_weights,
                                                published_at = clock_timestamp()
            """, [parameters.version, try parameters.json(), weights])
    }

    /// The served version (the newest published), or nil when none was published.
    public func currentVersion() throws -> String? {
        let r = try connection.query("SELECT version FROM rerank_parameters ORDER BY published_at DESC, version DESC LIMIT 1")
        return r.count == 1 ? try r[0].decode(0) : nil
    }

    /// Removes every published version: feeds go back to the cosine order (within the readers' interval).
    @discardableResult
    public func withdraw() throws -> Int { try connection.execute("DELETE FROM rerank_parameters") }
}
