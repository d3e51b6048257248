/// A received message.
public struct SQSMessage: Sendable, Equatable {
    public var messageID: String
    /// Pass back to delete the message or change its visibility.
    public var receiptHandle: String
    public var body: String
    /// All system attributes returned, as strings.
    public var attributes: [String: String]
    public var messageAttributes: [String: SQSMessageAttribute]
    /// Why part of the message could not be read (a Body or attribute value that is not valid Unicode, no Body):
    /// then `body` is what could be salvaged (U+FFFD for unreadable parts, empty without a Body) and the
    /// message is to be refused, while its batch-mates are read normally. Nil for a readable message.
    public var unreadable: String?

    public init(messageID: String, receiptHandle: String, body: String, attributes: [String: String] = [:],
                messageAttributes: [String: SQSMessageAttribute] = [:], unreadable: String? = nil) {
        self.messageID = messageID
        self.receiptHandle = receiptHandle
        self.body = body
        self.attributes = attributes
        self.messageAttributes = messageAttributes
        self.unreadable = unreadable
    }

    /// Milliseconds since the Unix epoch when the queue accepted the message (`SentTimestamp`).
    public var sentTimestamp: Int64? { attributes["SentTimestamp"].flatMap { Int64($0) } }

    /// How many times the message has been received, this time included (`ApproximateReceiveCount`).
    public var approximateReceiveCount: Int? { attributes["ApproximateReceiveCount"].flatMap { Int($0) } }
}

/// A message attribute value (`String`, `Number` or `Binary`, optionally with a `.suffix` custom type).
public struct SQSMessageAttribute: Sendable, Equatable {
    public var dataType: String
    public var stringValue: String?
    /// Raw bytes of a `Binary` attribute.
    public var binaryValue: [UInt8]?

    public init(dataType: String, stringValue: String? = nil, binaryValue: [UInt8]? = nil) {
        self.dataType = dataType
        self.stringValue = stringValue
        self.binaryValue = binaryValue
    }

    public static func string(_ value: String) -> SQSMessageAttribute { .init(dataType: "String", stringValue: value) }
    public static func number(_ value: Int64) -> SQSMessageAttribute { .init(dataType: "Number", stringValue: String(value)) }
}

/// One entry of a DeleteMessageBatch: `id` is yours (unique within the batch; letters, digits, `-`, `_`, ≤ 80).
public struct SQSDeleteEntry: Sendable, Equatable {
    public var id: String
    public var receiptHandle: String
    public init(id: String, receiptHandle: String) {
        self.id = id
        self.receiptHandle = receiptHandle
    }
}

/// One entry of a ChangeMessageVisibilityBatch.
public struct SQSVisibilityEntry: Sendable, Equatable {
    public var id: String
    public var receiptHandle: String
    /// Seconds from now until the message becomes visible again (0 ... 43200).
    public var visibilityTimeout: Int
    public init(id: String, receiptHandle: String, visibilityTimeout: Int) {
        self.id = id
        self.receiptHandle = receiptHandle
        self.visibilityTimeout = visibilityTimeout
    }
}

/// One entry of a SendMessageBatch.
public struct SQSSendEntry: Sendable, Equatable {
    public var id: String
    public var body: String
    public var messageAttributes: [String: SQSMessageAttribute]
    public var delaySeconds: Int?
    public init(id: String, body: String, messageAttributes: [String: SQSMessageAttribute] = [:], delaySeconds: Int? = nil) {
        self.id = id
        self.body = body
        self.messageAttributes = messageAttributes
        self.delaySeconds = delaySeconds
    }
}

/// A batch entry the service did not apply (`Failed` list of a batch answer, which is HTTP 200).
public struct SQSBatchFailure: Sendable, Equatable, CustomStringConvertible {
    /// The entry's `id` from the request.
    public var id: String
    public var code: String
    public var message: String?
    /// True when the request was at fault (retrying the same entry will fail again).
    public var senderFault: Bool

    public init(id: String, code: String, message: String?, senderFault: Bool) {
        self.id = id
        self.code = code
        self.message = message
        self.senderFault = senderFault
    }

    public var description: String { "\(id): \(code)\(message.map { " (\($0))" } ?? "")\(senderFault ? " [sender fault]" : "")" }
}

/// A message SendMessageBatch accepted.
public struct SQSSentMessage: Sendable, Equatable {
    /// The entry's `id` from the request.
    public var id: String
    public var messageID: String
    public init(id: String, messageID: String) {
        self.id = id
        self.messageID = messageID
    }
}

/// The answer to SendMessageBatch.
public struct SQSSendBatchResult: Sendable, Equatable {
    public var successful: [SQSSentMessage]
    public var failed: [SQSBatchFailure]
    public init(successful: [SQSSentMessage], failed: [SQSBatchFailure]) {
        self.successful = successful
        self.failed = failed
    }
}
