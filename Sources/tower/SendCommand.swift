import ArgumentParser
import Foundation
import TowerCLI
import TowerConfig
import TowerEvents
import TowerQueue

/// `tower send`: pushes interaction events to the daemon's queue (TOWER_QUEUE_URL).
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Send an interaction event to the queue.",
        discussion: """
        Sends {"customer_id": ID, "product_id": ID, "event_name": NAME, "occurred_at": TIME, "event_id": ID} to \
        TOWER_QUEUE_URL (signed with credentials from the AWS SDKs' chain: environment, web identity, AWS_PROFILE, ECS, \
        EC2 instance role; at AWS_ENDPOINT_URL_SQS when set), --count times in batches of 10, and prints the message ids. \
        --body sends a body exactly as given instead. Either way the body is first checked against the event contract \
        (docs/events.md), the rules towerd and `tower events import` apply: a body the daemon would dead-letter is refused \
        with the daemon's reason, unless --unchecked (a way to test the dead-letter path). --dry-run checks and prints the \
        body without sending it. Without --at the body has no occurred_at and the daemon uses the queue's SentTimestamp. \
        --event-id adds the producer's event_id: the daemon applies an event_id once within TOWER_EVENT_ID_HORIZON, so \
        with --count every copy but the first is a duplicate (a way to see a producer's retries deduplicated).
        """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Customer id (1 ... 9223372036854775807).")
    var customer: Int64?

    @Option(name: .long, help: "Product id (1 ... 9223372036854775807).")
    var product: Int64?

    @Option(name: .long, help: "Event name, e.g. product_viewed, product_clicked, product_added_to_cart.")
    var event: String?

    @Option(name: .long, help: "Event time: RFC 3339 (2024-05-01T12:00:00Z) or epoch milliseconds.")
    var at: String?

    @Option(name: .long, help: "The producer's event id (a string of 1 to 128 bytes): repeats of it are applied once.")
    var eventID: String?

    @Option(name: .long, help: "A complete JSON body to send as it is (instead of --customer, --product, --event, --at, --event-id).")
    var body: String?

    @Option(name: .long, help: "How many copies to send (each a separate message).")
    var count = 1

    @Flag(name: .long, help: "Send a body the event contract refuses (the daemon dead-letters it).")
    var unchecked = false

    @Flag(name: .long, help: "Check the body and print it; send nothing.")
    var dryRun = false

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        let fields = [customer != nil, product != nil, event != nil, at != nil, eventID != nil]
        if body != nil {
            guard !fields.contains(true) else { throw ValidationError("--body replaces --customer, --product, --event, --at and --event-id") }
        } else {
            guard fields[0], fields[1], fields[2] else { throw ValidationError("give --customer, --product and --event (or --body)") }
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let settings = try TowerSettings(try global.source())
            let now = InteractionEvent.microseconds(Date())
            let body = try self.body ?? fieldsBody(now: now)
            if case .failure(let rejection) = EventContract(settings).decode(body, fallbackOccurredAt: now, now: now) {
                guard unchecked else { throw SendRefused(rejection: rejection) }
                printError("tower: warning: sending a body the daemon will dead-letter (\(rejection.code)): \(rejection)")
            }
            if dryRun {
                print("valid body, not sent: \(body)")
                return
            }
            let source = try global.source()
            let queueURL = try SQSConfiguration.requireQueueURL(source)
            let client = try SQSClient(source)
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

    /// The body of the field options, encoded by the event contract (without `occurred_at` when --at is absent).
    func fieldsBody(now: Int64) throws -> String {
        var time = now
        if let at {
            let parsed = !at.isEmpty && at.utf8.allSatisfy { (0x30...0x39).contains($0) }
                ? EventTime.epochMilliseconds(at) : EventTime.rfc3339(at)
            switch parsed {
            case .success(let micros): time = micros
            case .failure(let rejection): throw ValidationError("--at: \(rejection)")
            }
        }
        let event = InteractionEvent(customerID: customer!, productID: product!, eventName: event!, occurredAtMicroseconds: time, eventID: eventID)
        return EventContract.encode(event, includingTime: at != nil)
    }
}

/// The body breaks the event contract: towerd would dead-letter it for `rejection.code`.
struct SendRefused: Error, CustomStringConvertible {
    let rejection: EventRejection
    var description: String {
        "the daemon would dead-letter this body (\(rejection.code)): \(rejection); fix it, or send it anyway with --unchecked"
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
