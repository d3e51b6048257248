import TowerModel
import TowerStore

extension UserEncoder {
    /// The user tower over histories as the store reads them (`HistoryItem`): one vector per history, in order.
    public func encode(stored histories: [[HistoryItem]]) -> [[Float]] {
        encode(histories.map { history in
            history.map { TowerInteraction(productVector: $0.productVector, eventName: $0.eventName, ageSeconds: $0.ageSeconds) }
        })
    }
}
