import TowerQueue

/// Message attributes of a dead-lettered message.
public enum DeadLetterAttributes {
    /// The `RejectionReason.code`.
    public static let reason = "TowerRejectReason"
    /// The human-readable reason.
    public static let detail = "TowerRejectDetail"
    /// The id the message had on the main queue.
    public static let sourceMessageID = "TowerSourceMessageId"
}

/// The copies of rejected messages sent to the DLQ, kept inside SQS's limits: 256 KiB per message (body plus
/// every attribute's name, type and value) and per SendMessageBatch request, 10 entries a request.
enum DeadLetterCopy {
    /// SQS's limit per message and per batch request, in bytes.
    static let maxBytes = 262_144
    /// The detail attribute is cut to this many characters even when there is room.
    static let maxDetailCharacters = 1024

    /// One copy: the body unchanged (a placeholder when the message had none: SQS refuses empty bodies) and the
    /// attributes that fit beside it, in order of importance: reason, source message id, detail (shortened first).
    static func entry(id: String, for rejection: Settlement.Rejection) -> SQSSendEntry {
        let body = rejection.message.body.isEmpty ? "(no body)" : rejection.message.body
        var room = maxBytes - body.utf8.count
        var attributes: [String: SQSMessageAttribute] = [:]
        func add(_ name: String, _ value: String) {
            let overhead = name.utf8.count + "String".utf8.count
            guard room - overhead > 0 else { return }
            let fitted = prefix(of: value, utf8Bytes: room - overhead)
            guard !fitted.isEmpty else { return }
            attributes[name] = .string(fitted)
            room -= overhead + fitted.utf8.count
        }
        add(DeadLetterAttributes.reason, rejection.reason.code)
        add(DeadLetterAttributes.sourceMessageID, rejection.message.messageID)
        add(DeadLetterAttributes.detail, String(rejection.reason.description.prefix(maxDetailCharacters)))
        return SQSSendEntry(id: id, body: body, messageAttributes: attributes)
    }

    /// The copies of `rejected` grouped into SendMessageBatch requests within the limits, each entry with its rejection.
    static func batches(_ rejected: [Settlement.Rejection]) -> [[(entry: SQSSendEntry, rejection: Settlement.Rejection)]] {
        var batches: [[(entry: SQSSendEntry, rejection: Settlement.Rejection)]] = []
        var current: [(entry: SQSSendEntry, rejection: Settlement.Rejection)] = [], bytes = 0
        for rejection in rejected {
            var entry = entry(id: "m\(current.count)", for: rejection)
            let size = size(of: entry)
            if !current.isEmpty, current.count == SQSClient.maxBatchSize || bytes + size > maxBytes {
                batches.append(current)
                (current, bytes) = ([], 0)
                entry.id = "m0"
            }
            current.append((entry, rejection))
            bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// The bytes SQS counts for a message: the body and each attribute's name, data type and value.
    static func size(of entry: SQSSendEntry) -> Int {
        entry.messageAttributes.reduce(entry.body.utf8.count) { total, a in
            total + a.key.utf8.count + a.value.dataType.utf8.count + (a.value.stringValue?.utf8.count ?? 0) + (a.value.binaryValue?.count ?? 0)
        }
    }

    /// The longest prefix of `text` of at most `limit` UTF-8 bytes (whole characters).
    private static func prefix(of text: String, utf8Bytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var out = "", used = 0
        for c in text {
            let n = c.utf8.count
            if used + n > limit { break }
            out.append(c)
            used += n
        }
        return out
    }
}
