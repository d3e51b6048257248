import ArgumentParser
import Foundation
import TowerCLI
import TowerConfig
import TowerQueue
import TowerStore

/// `tower send`: pushes interaction events to the daemon's queue (TOWER_QUEUE_URL).
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Send an interaction event to the queue.",
        discussion: """
        Sends {"customer_id": ID, "product_id": ID, "event_name": NAME, "occurred_at": TIME} to TOWER_QUEUE_URL \
        (signed with credentials from the AWS SDKs' chain: environment, web identity, AWS_PROFILE, ECS, EC2 instance role; at AWS_ENDPOINT_URL_SQS when set), --count times in batches of 10, \
        and prints the message ids. Without --at the body has no occurred_at and the daemon uses the queue's \
        SentTimestamp. --event-id adds the producer's event_id: the daemon applies an event_id once within \
        TOWER_EVENT_ID_HORIZON, so with --count every copy but the first is a duplicate (a way to see a producer's \
        retries deduplicated). An event name outside TOWER_EVENT_WEIGHTS is sent anyway, with a warning: the daemon \
        dead-letters it, which is a way to test the dead-letter path.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Customer id (1 ... 9223372036854775807).")
    var customer: Int64

    @Option(name: .long, help: "Product id (1 ... 9223372036854775807).")
    var product: Int64

    @Option(name: .long, help: "Event name, e.g. product_viewed, product_clicked, product_added_to_cart.")
    var event: String

    @Option(name: .long, help: "Event time: ISO-8601 with a zone (2024-05-01T12:00:00Z) or epoch milliseconds.")
    var at: String?

    @Option(name: .long, help: "The producer's event id (a string of 1 to 128 bytes): repeats of it are applied once.")
    var eventID: String?

    @Option(name: .long, help: "How many copies to send (each a separate message).")
    var count = 1

    func validate() throws {
        guard customer >= 1, product >= 1 else { throw ValidationError("--customer and --product must be at least 1") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        if let eventID, let problem = ProducerEventID.problem(with: eventID) { throw ValidationError("--event-id \(problem)") }
        if let at, Self.occurredAt(at) == nil {
            throw ValidationError("--at \(at) is neither ISO-8601 with a time zone (2024-05-01T12:00:00Z) nor epoch milliseconds")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let source = try global.source()
            let settings = try TowerSettings(source)
            if !settings.eventTypes.contains(event) {
                printError("tower: warning: \(event) is not in TOWER_EVENT_WEIGHTS (\(settings.eventTypes.names.joined(separator: ", "))); the daemon will dead-letter it")
            }
            let queueURL = try SQSConfiguration.requireQueueURL(source)
            let client = try SQSClient(source)
            let body = try eventBody()
            var ids: [String] = []
            var remaining = count
            while remaining > 0 {
                let size = min(remaining, SQSClient.maxBatchSize)
                let result = try client.sendMessageBatch(queueURL: queueURL, entries: (0..<size).map { SQSSendEntry(id: "e\($0)", body: body) })
                ids += result.successful.map(\.messageID)
                guard result.failed.isEmpty else {
                    throw SendFailure(sent: ids.count, failures: result.failed)
                }
                remaining -= size
            }
            print(count == 1 ? "sent \(body) as message \(ids[0])" : "sent \(ids.count) messages \(body)")
        }
    }

    /// The JSON body, with `occurred_at` as a string (ISO-8601) or a number (epoch milliseconds), and `event_id` when given.
    func eventBody() throws -> String {
        var fields: [String: Any] = ["customer_id": customer, "product_id": product, "event_name": event]
        if let at, let value = Self.occurredAt(at) { fields["occurred_at"] = value }
        if let eventID { fields["event_id"] = eventID }
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// `text` as epoch milliseconds (Int64) or a validated ISO-8601 string; nil when neither.
    static func occurredAt(_ text: String) -> Any? {
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let ms = Int64(text) { return ms }
        return (try? Date.ISO8601FormatStyle().parse(text)) != nil ? text : nil
    }
}

/// Some entries of a SendMessageBatch were refused.
struct SendFailure: Error, CustomStringConvertible {
    let sent: Int
    let failures: [SQSBatchFailure]
    var description: String {
        "the queue refused \(failures.count) message(s) after \(sent) were sent: \(failures.map(\.description).joined(separator: "; "))"
    }
}
