import Foundation
import LibPQ
import TowerConfig
import TowerModel
import TowerQueue
import TowerStore
import TowerWorker

/// The chaos run's figures (`tower bench chaos --json` prints them as one JSON object).
struct ChaosFigures: Codable {
    struct Valid: Codable {
        /// Distinct events (a producer's retry of one counts once).
        var sent = 0
        /// Events sent a second time with the same `event_id` (another message id): applied once all the same.
        var producerRetries = 0
        /// Exactly one `events` row with the message's id, carrying the sent customer, product and event name.
        var appliedOnce = 0
        var lost = 0
        var appliedTwice = 0
        /// An `events` row whose customer, product or event name differs from what was sent.
        var wrongContent = 0
        var deadLettered = 0
    }

    struct Bad: Codable {
        var sent = 0
        var inDeadLetterQueue = 0
        /// In the DLQ with `TowerRejectReason` one of the codes its kind expects.
        var expectedReason = 0
        /// Recorded as an event (a bad message taken for a healthy one).
        var applied = 0
        /// Per kind: sent, in the DLQ with the expected reason, and the reasons seen.
        var kinds: [Kind] = []
    }

    struct Kind: Codable {
        var kind: String
        var sent = 0
        var expectedReason = 0
        var reasons: [String: Int] = [:]
    }

    struct DeadLetters: Codable {
        var messages = 0
        /// Copies beyond the first of one source message (a daemon killed between the DLQ send and the delete).
        var extraCopies = 0
        /// Messages without `TowerRejectReason` (moved by the queue's redrive policy, not by towerd).
        var withoutReason = 0
        /// Messages whose source is not one the run sent.
        var unknownSource = 0
    }

    struct Vectors: Codable {
        var customers = 0
        var compared = 0
        var missing = 0
        /// Vectors of customers without any applied event.
        var unexpected = 0
        var exactlyEqual = 0
        var overTolerance = 0
        var wrongModelVersion = 0
        var maxAbsDifference: Float = 0
        var tolerance: Float = 0
        /// `interactions` rows without their `events` row, or the reverse (nothing is older than the window here).
        var interactionsNotMatchingEvents = 0
    }

    struct Logs: Codable {
        var lines = 0
        /// Lines that are not a JSON object (reported, not failed: libpq's own stderr lines, outside Tower's logger).
        var notJSON = 0
        /// Up to three distinct such lines (those quoting no secret), cut to 200 characters.
        var notJSONSamples: [String] = []
        var withSecret = 0
        var secretsChecked = 0
        var warningLines = 0
        var errorLines = 0
        /// "started" lines: the first daemons and each restart after a kill.
        var starts = 0
        /// Redeliveries the batches skipped as already applied (the kills' and outages' trace).
        var duplicatesSkipped = 0
    }

    struct Faults: Codable {
        var daemons = 0
        var kills = 0
        var postgresRestarts = 0
        var databaseOutageSeconds = 0.0
        var queueOutageSeconds = 0.0
    }

    var valid = Valid()
    var bad = Bad()
    var deadLetters = DeadLetters()
    var vectors = Vectors()
    var logs = Logs()
    var faults = Faults()
    /// The queue was empty (visible, in flight, delayed) before the time limit.
    var drained = false
    /// Every daemon exited 0 on SIGTERM at the end.
    var daemonsStoppedCleanly = false
    var wallSeconds = 0.0

    /// Every figure as it must be.
    var passed: Bool {
        valid.lost == 0 && valid.appliedTwice == 0 && valid.wrongContent == 0 && valid.deadLettered == 0 && valid.appliedOnce == valid.sent
            && bad.inDeadLetterQueue == bad.sent && bad.expectedReason == bad.sent && bad.applied == 0
            && deadLetters.withoutReason == 0 && deadLetters.unknownSource == 0
            && vectors.missing == 0 && vectors.unexpected == 0 && vectors.overTolerance == 0 && vectors.wrongModelVersion == 0
            && vectors.compared == vectors.customers && vectors.interactionsNotMatchingEvents == 0
            && logs.withSecret == 0 && drained && daemonsStoppedCleanly
    }
}

/// Checks what a chaos run left behind against what it sent.
struct ChaosAudit {
    let connection: PQConnection
    let sqs: SQSConfiguration
    let deadLetterQueueURL: String

    /// Events and dead letters against the sent messages (`messageIDs[i]` is the queue's id of `produced[i]`); an event
    /// and its producer's retry together must have exactly one `events` row.
    func messages(produced: [ChaosMessages.Expectation], messageIDs: [String], into figures: inout ChaosFigures) throws {
        var events: [String: [(Int64, Int64, String)]] = [:]
        for row in try connection.query("SELECT message_id, customer_id, product_id, event_name FROM events WHERE message_id IS NOT NULL").rows {
            events[try row.decode(0), default: []].append((try row.decode(1), try row.decode(2), try row.decode(3)))
        }
        let letters = try deadLetters()
        var bySource: [String: [SQSMessage]] = [:]
        for m in letters { bySource[m.messageAttributes[DeadLetterAttributes.sourceMessageID]?.stringValue ?? m.messageID, default: []].append(m) }
        figures.deadLetters.messages = letters.count
        figures.deadLetters.withoutReason = letters.filter { $0.messageAttributes[DeadLetterAttributes.reason] == nil }.count
        figures.deadLetters.extraCopies = bySource.values.reduce(0) { $0 + $1.count - 1 }
        figures.deadLetters.unknownSource = Set(bySource.keys).subtracting(messageIDs).count

        var retries: [Int: [String]] = [:]
        for (i, expectation) in produced.enumerated() where i < messageIDs.count {
            if case .retry(let original) = expectation { retries[original, default: []].append(messageIDs[i]) }
        }
        var kinds = ChaosAdversary.all.map { ChaosFigures.Kind(kind: $0.kind) }
        for (i, (expectation, id)) in zip(produced, messageIDs).enumerated() {
            switch expectation {
            case .retry:
                figures.valid.producerRetries += 1
            case .valid(let customer, let product, let name):
                figures.valid.sent += 1
                let copies = [id] + (retries[i] ?? [])
                let rows = copies.flatMap { events[$0] ?? [] }
                if copies.contains(where: { bySource[$0] != nil }) { figures.valid.deadLettered += 1 }
                if rows.isEmpty { figures.valid.lost += 1 }
                if rows.count > 1 { figures.valid.appliedTwice += 1 }
                let right = rows.allSatisfy { $0 == (customer, product, name) }
                if !right { figures.valid.wrongContent += 1 }
                if rows.count == 1, right { figures.valid.appliedOnce += 1 }
            case .bad(let k):
                figures.bad.sent += 1
                kinds[k].sent += 1
                if events[id] != nil { figures.bad.applied += 1 }
                guard let copy = bySource[id]?.first else { continue }
                figures.bad.inDeadLetterQueue += 1
                let reason = copy.messageAttributes[DeadLetterAttributes.reason]?.stringValue ?? "(none)"
                kinds[k].reasons[reason, default: 0] += 1
                if ChaosAdversary.all[k].expected.contains(reason) {
                    figures.bad.expectedReason += 1
                    kinds[k].expectedReason += 1
                }
            }
        }
        figures.bad.kinds = kinds
    }

    /// Every message in the DLQ, read (not deleted) until three receives in a row come back empty.
    private func deadLetters() throws -> [SQSMessage] {
        let client = try SQSClient(configuration: sqs)
        var out: [SQSMessage] = [], empty = 0
        while empty < 3 {
            let batch = try client.receiveMessages(queueURL: deadLetterQueueURL, waitTimeSeconds: 1, visibilityTimeout: 3_600)
            empty = batch.isEmpty ? empty + 1 : 0
            out += batch
        }
        return out
    }

    /// Each stored user vector against a recompute from the stored history with the same model: the history
    /// (`interactions`, which must equal the event log here) read as of the vector's `updated_at`, encoded again.
    func vectors(model: ModelHolder, window: TimeInterval, tolerance: Float, into figures: inout ChaosFigures) throws {
        figures.vectors.tolerance = tolerance
        figures.vectors.interactionsNotMatchingEvents = try connection.query("""
            SELECT (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM interactions i WHERE i.event_id = e.event_id))
                 + (SELECT count(*) FROM interactions i WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = i.event_id))
            """)[0].decode(0, as: Int.self)
        let customers = Set(try connection.query("SELECT DISTINCT customer_id FROM events").rows.map { try $0.decode(0, as: Int64.self) })
        figures.vectors.customers = customers.count
        var stored: [Int64: (customerID: Int64, embedding: [Float], modelVersion: String, updatedAt: Date)] = [:]
        for row in try connection.query("SELECT customer_id, embedding, model_version, updated_at FROM user_vectors").rows {
            let id: Int64 = try row.decode(0)
            stored[id] = (id, try row.decode(1), try row.decode(2), try row.decode(3))
        }
        figures.vectors.missing = customers.subtracting(stored.keys).count
        figures.vectors.unexpected = Set(stored.keys).subtracting(customers).count
        let encoder = model.current
        let repository = UserVectorRepository(connection)
        // One recompute per batch moment: the customers a batch wrote share its updated_at.
        for (moment, group) in Dictionary(grouping: stored.values.filter { customers.contains($0.customerID) }, by: \.updatedAt) {
            let ids = group.map(\.customerID)
            let histories = try repository.histories(of: ids, now: moment, windowStart: moment.addingTimeInterval(-window))
            let present = ids.filter { histories[$0] != nil }
            let recomputed = encoder.encode(present.map { id in
                histories[id]!.map { TowerInteraction(productVector: $0.productVector, eventName: $0.eventName, ageSeconds: $0.ageSeconds) }
            })
            for (id, vector) in zip(present, recomputed) {
                let v = stored[id]!
                figures.vectors.compared += 1
                if v.modelVersion != encoder.version { figures.vectors.wrongModelVersion += 1 }
                let difference = zip(v.embedding, vector).map { abs($0 - $1) }.max() ?? .infinity
                figures.vectors.maxAbsDifference = max(figures.vectors.maxAbsDifference, v.embedding.count == vector.count ? difference : .infinity)
                if v.embedding == vector { figures.vectors.exactlyEqual += 1 }
                if !(difference <= tolerance) || v.embedding.count != vector.count { figures.vectors.overTolerance += 1 }
            }
        }
    }

    /// The daemons' log: lines that are not a JSON object counted, none may quote a secret of `source` (passwords of the database
    /// URLs, raw and percent-decoded, and the AWS secret key and session token).
    static func logs(at path: String, source: ConfigSource, into figures: inout ChaosFigures) throws {
        let secrets = Set(secretValues(source).filter { $0.count >= 6 })
        figures.logs.secretsChecked = secrets.count
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError.setup("no daemon log at \(path)") }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            figures.logs.lines += 1
            let text = String(decoding: line, as: UTF8.self)
            let quotesSecret = secrets.contains { text.contains($0) }
            if quotesSecret { figures.logs.withSecret += 1 }
            guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                figures.logs.notJSON += 1
                let sample = String(text.prefix(200))
                if !quotesSecret, figures.logs.notJSONSamples.count < 3, !figures.logs.notJSONSamples.contains(sample) {
                    figures.logs.notJSONSamples.append(sample)
                }
                continue
            }
            switch o["level"] as? String {
            case "warning": figures.logs.warningLines += 1
            case "error", "critical": figures.logs.errorLines += 1
            default: break
            }
            switch o["msg"] as? String {
            case "started": figures.logs.starts += 1
            case "batch": figures.logs.duplicatesSkipped += (o["duplicates"] as? NSNumber)?.intValue ?? 0
            default: break
            }
        }
    }

    private static func secretValues(_ source: ConfigSource) -> [String] {
        ["TOWER_DATABASE_URL", "TOWER_READONLY_DATABASE_URL", "TOWER_ADMIN_DATABASE_URL"].flatMap { ConnectionSecrets.values(in: source[$0] ?? "") }
            + ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"].compactMap { source[$0] }
    }
}
