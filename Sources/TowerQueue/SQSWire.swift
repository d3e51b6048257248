import Foundation
import TowerJSON

// The SQS JSON 1.0 wire format: request bodies written with `JSONWriter`, answers read from `JSONValue`
// (field names as AWS spells them). Hand-written rather than Codable: this is the daemon's hot path.

enum SQSWire {
    // MARK: Requests

    static func receive(queueURL: String, maxMessages: Int, waitTimeSeconds: Int, visibilityTimeout: Int?,
                        systemAttributes: [String]) -> [UInt8] {
        document { w in
            w.field("QueueUrl", queueURL)
            w.field("MaxNumberOfMessages", maxMessages)
            w.field("WaitTimeSeconds", waitTimeSeconds)
            if let visibilityTimeout { w.field("VisibilityTimeout", visibilityTimeout) }
            w.field("MessageSystemAttributeNames", systemAttributes)
            // The deprecated name of the same list, still read by AWS and by emulators that predate the rename.
            w.field("AttributeNames", systemAttributes)
            w.field("MessageAttributeNames", ["All"])
        }
    }

    static func delete(queueURL: String, entries: [SQSDeleteEntry]) -> [UInt8] {
        batch(queueURL: queueURL, entries) { w, e in w.field("Id", e.id); w.field("ReceiptHandle", e.receiptHandle) }
    }

    static func visibility(queueURL: String, entries: [SQSVisibilityEntry]) -> [UInt8] {
        batch(queueURL: queueURL, entries) { w, e in
            w.field("Id", e.id)
            w.field("ReceiptHandle", e.receiptHandle)
            w.field("VisibilityTimeout", e.visibilityTimeout)
        }
    }

    static func send(queueURL: String, entries: [SQSSendEntry]) -> [UInt8] {
        batch(queueURL: queueURL, entries) { w, e in
            w.field("Id", e.id)
            message(&w, body: e.body, attributes: e.messageAttributes, delaySeconds: e.delaySeconds)
        }
    }

    static func sendOne(queueURL: String, body: String, attributes: [String: SQSMessageAttribute], delaySeconds: Int?) -> [UInt8] {
        document { w in
            w.field("QueueUrl", queueURL)
            message(&w, body: body, attributes: attributes, delaySeconds: delaySeconds)
        }
    }

    /// `{"QueueUrl": …}` plus the given string fields, for the single-message and queue actions.
    static func queue(_ queueURL: String, _ fields: [(String, String)] = [], int: (String, Int)? = nil) -> [UInt8] {
        document { w in
            w.field("QueueUrl", queueURL)
            for (k, v) in fields { w.field(k, v) }
            if let (k, v) = int { w.field(k, v) }
        }
    }

    static func attributes(queueURL: String, names: [String]) -> [UInt8] {
        document { w in w.field("QueueUrl", queueURL); w.field("AttributeNames", names) }
    }

    static func queueName(_ name: String, attributes: [String: String] = [:]) -> [UInt8] {
        document { w in
            w.field("QueueName", name)
            if !attributes.isEmpty { w.field("Attributes", attributes) }
        }
    }

    private static func document(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var w = JSONWriter()
        w.object(body)
        return w.bytes
    }

    private static func batch<E>(queueURL: String, _ entries: [E], _ entry: (inout JSONWriter, E) -> Void) -> [UInt8] {
        var w = JSONWriter(capacity: 128 + 160 * entries.count)
        w.object { w in
            w.field("QueueUrl", queueURL)
            w.key("Entries")
            w.array { w in for e in entries { w.object { w in entry(&w, e) } } }
        }
        return w.bytes
    }

    private static func message(_ w: inout JSONWriter, body: String, attributes: [String: SQSMessageAttribute], delaySeconds: Int?) {
        w.field("MessageBody", body)
        if let delaySeconds { w.field("DelaySeconds", delaySeconds) }
        guard !attributes.isEmpty else { return }
        w.key("MessageAttributes")
        w.object { w in
            for (name, a) in attributes.sorted(by: { $0.key < $1.key }) {
                w.key(name)
                w.object { w in
                    w.field("DataType", a.dataType)
                    if let s = a.stringValue { w.field("StringValue", s) }
                    if let b = a.binaryValue { w.field("BinaryValue", Data(b).base64EncodedString()) }
                }
            }
        }
    }

    // MARK: Answers

    /// Reads answers of `action`; a missing or mistyped field is `SQSError.malformedResponse`.
    struct Reader {
        let action: String

        func fail(_ detail: String) -> SQSError { .malformedResponse(action: action, detail: detail) }

        func required(_ value: JSONValue, _ key: String) throws -> String {
            guard let s = value[key]?.string else { throw fail("no \(key)") }
            return s
        }

        /// The received messages, each read on its own: an unreadable Body or attribute marks that message
        /// (`SQSMessage.unreadable`) instead of failing the reply. A message without MessageId or ReceiptHandle
        /// cannot even be refused: the reply is malformed.
        func messages(_ answer: JSONValue) throws -> [SQSMessage] {
            guard let list = answer["Messages"] else { return [] }
            guard let items = list.array else { throw fail("Messages is not a list") }
            return try items.map { m in
                var problems: [String] = []
                func text(_ value: JSONValue?, _ what: String) -> String? {
                    switch value {
                    case .string(let s)?: return s
                    case .undecodableString(let salvaged, let reason)?: problems.append("\(what): \(reason)"); return salvaged
                    case nil: return nil
                    case let other?: problems.append("\(what) is \(other.kind)"); return nil
                    }
                }
                var messageAttributes: [String: SQSMessageAttribute] = [:]
                if case .object(let members)? = m["MessageAttributes"] {
                    for (name, a) in members {
                        guard let dataType = text(a["DataType"], "attribute \(name) DataType") else {
                            problems.append("attribute \(name) has no DataType")
                            continue
                        }
                        messageAttributes[name] = SQSMessageAttribute(
                            dataType: dataType, stringValue: text(a["StringValue"], "attribute \(name)"),
                            binaryValue: a["BinaryValue"]?.string.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
                    }
                }
                let body = text(m["Body"], "Body")
                if body == nil, m["Body"] == nil { problems.append("no Body") }
                return SQSMessage(messageID: try required(m, "MessageId"), receiptHandle: try required(m, "ReceiptHandle"),
                                  body: body ?? "", attributes: m["Attributes"]?.stringMap ?? [:], messageAttributes: messageAttributes,
                                  unreadable: problems.isEmpty ? nil : problems.joined(separator: "; "))
            }
        }

        func failures(_ answer: JSONValue) throws -> [SQSBatchFailure] {
            try (answer["Failed"]?.array ?? []).map {
                SQSBatchFailure(id: try required($0, "Id"), code: try required($0, "Code"), message: $0["Message"]?.string,
                                senderFault: $0["SenderFault"]?.bool ?? false)
            }
        }

        func sent(_ answer: JSONValue) throws -> [SQSSentMessage] {
            try (answer["Successful"]?.array ?? []).map {
                SQSSentMessage(id: try required($0, "Id"), messageID: try required($0, "MessageId"))
            }
        }
    }
}
