import Foundation
import LibPQ
import TowerRerank

/// A published re-ranker: its parameters and the event weights its history features use.
struct ServedReranker: Sendable {
    let parameters: RerankParameters
    let eventWeights: [String: Float]
}

/// The served re-ranker (the newest row of `rerank_parameters`), re-checked every
/// `RankerConfiguration.rerankCheckInterval` seconds; shared by a ranker's threads. A check reads only the
/// version; the row is decoded when the version changes. A row this build cannot use (another format or
/// feature set) is not served — the feed stays in cosine order — so a newer `tower train` never breaks an
/// older shop server.
final class RerankParameterCache: @unchecked Sendable {
    private let lock = NSLock()
    private var served: ServedReranker?
    private var version: String?
    private var checkedAt = Date.distantPast
    private let interval: TimeInterval

    init(interval: TimeInterval) { self.interval = interval }

    /// The re-ranker to serve (nil: none published, or not usable by this build).
    func current(_ session: ReadSession) throws -> ServedReranker? {
        if let cached = lock.withLock({ Date().timeIntervalSince(checkedAt) < interval ? Optional(served) : nil }) {
            return cached
        }
        let newest = try session.query("SELECT version FROM rerank_parameters ORDER BY published_at DESC, version DESC LIMIT 1")
        let newestVersion: String? = newest.count == 1 ? try newest[0].decode(0) : nil
        var loaded = lock.withLock { version == newestVersion ? served : nil }
        if loaded == nil, let newestVersion {
            let row = try session.query("SELECT parameters, event_weights FROM rerank_parameters WHERE version = $1", [newestVersion])[0]
            loaded = Self.decode(parameters: try row.decode(0), eventWeights: try row.decode(1))
        }
        return lock.withLock {
            served = loaded
            version = newestVersion
            checkedAt = Date()
            return loaded
        }
    }

    private static func decode(parameters: String, eventWeights: String) -> ServedReranker? {
        guard let p = try? RerankParameters.decode(json: parameters),
              let w = try? JSONDecoder().decode([String: Float].self, from: Data(eventWeights.utf8)) else { return nil }
        return ServedReranker(parameters: p, eventWeights: w)
    }
}
