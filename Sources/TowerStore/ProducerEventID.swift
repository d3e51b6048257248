/// The producer's optional `event_id`: an opaque string, unique per event, that stays the same when the producer
/// retries a send. Events carrying an `event_id` already recorded within TOWER_EVENT_ID_HORIZON are skipped
/// (table `producer_event_ids`); events without one are deduplicated by queue message id only.
public enum ProducerEventID {
    /// The longest accepted `event_id`, in UTF-8 bytes.
    public static let maxBytes = 128

    /// Why `id` is not a usable `event_id` (empty, longer than `maxBytes`, or holding a control character),
    /// or nil when it is. The id is compared byte for byte: it is never trimmed or case-folded.
    public static func problem(with id: String) -> String? {
        let size = id.utf8.count
        if size == 0 { return "is empty" }
        if size > maxBytes { return "is \(size) bytes, over the \(maxBytes)-byte limit" }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains a control character"
        }
        return nil
    }
}
