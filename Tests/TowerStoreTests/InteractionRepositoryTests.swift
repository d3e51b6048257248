import Foundation
import LibPQ
import TowerStore
import TowerTestSupport
import XCTest

final class InteractionRepositoryTests: StoreTestCase {
    private let now = Date(timeIntervalSince1970: 1_750_000_000)
    private let window: TimeInterval = 2 * 86_400

    override func setUpWithError() throws {
        try super.setUpWithError()
        // Products 1…5 with one-hot-ish vectors; 6 exists without a vector; 7 does not exist.
        for id in 1...5 { try insertProduct(id, vector: Self.vector(id)) }
        try connection.execute("INSERT INTO products (product_id, name) VALUES (6, 'no vector yet')")
    }

    static func vector(_ seed: Int) -> [Float] {
        (0..<384).map { i in i == seed ? 1 : Float(i % (seed + 2)) * 0.001 }
    }

    private func insertProduct(_ id: Int, vector: [Float]) throws {
        try connection.execute("INSERT INTO products (product_id, name, embedding) VALUES ($1, $2, $3::vector)",
                               [id, "product \(id)", PQVector(vector)])
    }

    private func event(_ message: String, customer: Int64, product: Int64, _ name: String = "product_viewed",
                       ago: TimeInterval = 60, eventID: String? = nil) -> IncomingEvent {
        IncomingEvent(messageID: message, customerID: customer, productID: product, eventName: name,
                      occurredAt: now.addingTimeInterval(-ago), eventID: eventID)
    }

    /// A deterministic stand-in for the user tower that records what it was given.
    private final class RecordingEncoder {
        var calls: [[[HistoryItem]]] = []
        func encode(_ histories: [[HistoryItem]]) -> [[Float]] {
            calls.append(histories)
            return histories.map { h in
                var v = [Float](repeating: 0, count: 384)
                for (rank, item) in h.enumerated() {
                    for i in 0..<384 { v[i] += item.productVector[i] / Float(rank + 1) }
                }
                return v
            }
        }
    }

    private let horizon: TimeInterval = 7 * 86_400

    private func apply(_ events: [IncomingEvent], at time: Date? = nil, encoder: RecordingEncoder = RecordingEncoder()) throws -> BatchResult {
        try InteractionRepository(connection).apply(events, now: time ?? now, window: window, modelVersion: "test-v1",
                                                    eventIDHorizon: horizon, encode: encoder.encode)
    }


    func testAppliesABatchAndStoresTheEncodersOutput() throws {
        let encoder = RecordingEncoder()
        let result = try apply([
            event("m1", customer: 10, product: 1, ago: 300),
            event("m2", customer: 10, product: 2, "product_clicked", ago: 100),
            event("m3", customer: 20, product: 3, "product_added_to_cart", ago: 50),
        ], encoder: encoder)
        XCTAssertEqual(result.outcomes, ["m1": .applied, "m2": .applied, "m3": .applied])
        XCTAssertEqual(result.updatedCustomers, [10, 20])
        XCTAssertEqual(encoder.calls.count, 1, "one batched encoder call per batch")
        let histories = try XCTUnwrap(encoder.calls.first)
        XCTAssertEqual(histories[0].map(\.productID), [2, 1], "most recent first")
        XCTAssertEqual(histories[0].map(\.eventName), ["product_clicked", "product_viewed"])
        XCTAssertEqual(histories[0].map(\.ageSeconds), [100, 300])
        XCTAssertEqual(histories[0][0].productVector, Self.vector(2))
        XCTAssertEqual(histories[1].map(\.productID), [3])

        let repo = UserVectorRepository(connection)
        let stored = try XCTUnwrap(try repo.vector(of: 10))
        XCTAssertEqual(stored.modelVersion, "test-v1")
        XCTAssertEqual(stored.updatedAt, now)
        XCTAssertEqual(stored.embedding, encoder.encode([histories[0]])[0])
        XCTAssertEqual(try repo.interactions(of: 10).map(\.productID), [2, 1])
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE message_id IN ('m1','m2','m3')"), 3)
        XCTAssertEqual(try count("SELECT count(*) FROM processed_messages"), 3)
    }

    func testRedeliveryIsAppliedOnce() throws {
        _ = try apply([event("m1", customer: 10, product: 1)])
        let later = now.addingTimeInterval(30)
        let encoder = RecordingEncoder()
        let again = try apply([event("m1", customer: 10, product: 1), event("m2", customer: 11, product: 2)], at: later, encoder: encoder)
        XCTAssertEqual(again.outcomes, ["m1": .duplicate, "m2": .applied])
        XCTAssertEqual(again.updatedCustomers, [11], "the duplicate's customer is not recomputed")
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE customer_id = 10"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions WHERE customer_id = 10"), 1)
        XCTAssertEqual(try UserVectorRepository(connection).vector(of: 10)?.updatedAt, now)

        let onlyDuplicates = try apply([event("m1", customer: 10, product: 1)], at: later, encoder: encoder)
        XCTAssertEqual(onlyDuplicates.count(.duplicate), 1)
        XCTAssertEqual(encoder.calls.count, 1, "no encoder call when nothing new was recorded")
    }

    func testAProducersRetryWithTheSameEventIDIsAppliedOnceWithinTheHorizon() throws {
        XCTAssertEqual(try apply([event("m1", customer: 10, product: 1, eventID: "order-7")]).outcomes, ["m1": .applied])
        // The producer did not see the first send succeed and sent the event again: a new message, the same event_id.
        let encoder = RecordingEncoder()
        let retry = try apply([event("m2", customer: 10, product: 1, eventID: "order-7"), event("m3", customer: 11, product: 2, eventID: "order-8")],
                              at: now.addingTimeInterval(3_600), encoder: encoder)
        XCTAssertEqual(retry.outcomes, ["m2": .duplicate, "m3": .applied])
        XCTAssertEqual(retry.updatedCustomers, [11], "the retry's customer is not recomputed")
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE customer_id = 10"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions WHERE customer_id = 10"), 1)
        // Events without an event_id are deduplicated by message id only, as before.
        XCTAssertEqual(try apply([event("m4", customer: 10, product: 1), event("m5", customer: 10, product: 1)]).count(.applied), 2)
        // Past the horizon the id no longer deduplicates, even before the sweep forgot it.
        let late = try apply([event("m6", customer: 10, product: 1, ago: 60, eventID: "order-7")], at: now.addingTimeInterval(horizon + 1))
        XCTAssertEqual(late.outcomes, ["m6": .applied])
        XCTAssertEqual(try connection.query("SELECT message_id FROM producer_event_ids WHERE event_id = 'order-7'")[0].decode(0, as: String.self), "m6")
    }

    func testCopiesOfOneEventIDInOneBatchApplyTheEarliestOnly() throws {
        let result = try apply([
            event("late", customer: 10, product: 2, ago: 10, eventID: "e1"), event("early", customer: 10, product: 1, ago: 20, eventID: "e1"),
            event("other", customer: 12, product: 3, eventID: "e2"),
        ])
        XCTAssertEqual(result.outcomes, ["late": .duplicate, "early": .applied, "other": .applied])
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE customer_id = 10 AND product_id = 1"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 2)
    }

    func testAnEventDeferredForItsProductDoesNotClaimItsEventID() throws {
        XCTAssertEqual(try apply([event("m1", customer: 10, product: 6, eventID: "e1")]).outcomes, ["m1": .productWithoutVector])
        XCTAssertEqual(try count("SELECT count(*) FROM producer_event_ids"), 0)
        XCTAssertEqual(try apply([event("m1", customer: 10, product: 1, eventID: "e1")]).outcomes, ["m1": .applied])
    }

    func testTheSweepForgetsEventIDsPastTheHorizonOnly() throws {
        _ = try apply([event("m1", customer: 10, product: 1, eventID: "old")])
        _ = try apply([event("m2", customer: 10, product: 1, eventID: "new")], at: now.addingTimeInterval(86_400))
        let repo = InteractionRepository(connection)
        XCTAssertEqual(try repo.forgetEventIDs(before: now.addingTimeInterval(1)), 1)
        XCTAssertEqual(try connection.query("SELECT event_id FROM producer_event_ids")[0].decode(0, as: String.self), "new")
        XCTAssertEqual(try repo.forgetEventIDs(before: now.addingTimeInterval(1)), 0)
    }

    func testDaemonsRacingOnOneEventIDApplyItOnce() throws {
        let (url, now, window, horizon) = (db.url, now, window, horizon)
        let encoder: @Sendable ([[HistoryItem]]) -> [[Float]] = { $0.map { _ in [Float](repeating: 0.5, count: 384) } }
        // Four "daemons", each receiving its own copy (its own message) of the same 30 events, in its own order.
        let errors = Self.concurrently(4, url: url) { daemon, c, repo in
            for i in 0..<30 {
                let k = daemon % 2 == 0 ? i : 29 - i
                // Odd events name a different customer in each copy: only the event id's unique key serialises them.
                let copy = IncomingEvent(messageID: "d\(daemon)-\(k)", customerID: k % 2 == 0 ? 10 : Int64(20 + daemon), productID: Int64(1 + k % 5),
                                         eventName: "product_viewed", occurredAt: now.addingTimeInterval(Double(-k)), eventID: "event-\(k)")
                _ = try c.withRetry { _ in
                    try repo.apply([copy], now: now, window: window, modelVersion: "t", eventIDHorizon: horizon, encode: encoder)
                }
            }
        }
        XCTAssertTrue(errors.isEmpty, "\(errors)")
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 30)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions"), 30)
        XCTAssertEqual(try count("SELECT count(*) FROM producer_event_ids"), 30)
        XCTAssertEqual(try count("SELECT count(*) FROM processed_messages"), 120, "every copy is settled")
    }

    func testAMessageAlreadyInTheEventLogIsADuplicateEvenAfterProcessedMessagesWerePruned() throws {
        _ = try apply([event("m1", customer: 10, product: 1)])
        try connection.execute("DELETE FROM processed_messages")
        let result = try apply([event("m1", customer: 10, product: 1)])
        XCTAssertEqual(result.outcomes, ["m1": .duplicate])
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 1)
    }

    func testProductsWithoutVectorsAreNotRecordedWhileBatchMatesAre() throws {
        let result = try apply([
            event("m1", customer: 10, product: 6), event("m2", customer: 10, product: 7), event("m3", customer: 10, product: 1),
        ])
        XCTAssertEqual(result.outcomes, ["m1": .productWithoutVector, "m2": .productWithoutVector, "m3": .applied])
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM processed_messages"), 1, "a deferred message can still be applied later")
        try connection.execute("UPDATE products SET embedding = $1::vector WHERE product_id = 6", [PQVector(Self.vector(6))])
        XCTAssertEqual(try apply([event("m1", customer: 10, product: 6)]).outcomes, ["m1": .applied])
    }

    func testHistoryIsTheTwentyMostRecentInsideTheWindowAndOlderRowsArePruned() throws {
        var events: [IncomingEvent] = []
        for i in 0..<25 { events.append(event("recent-\(i)", customer: 10, product: Int64(1 + i % 5), ago: Double(100 + i))) }
        events.append(event("expired", customer: 10, product: 1, ago: window + 10))
        let encoder = RecordingEncoder()
        let result = try apply(events, encoder: encoder)
        XCTAssertEqual(result.count(.applied), 26)
        let history = try XCTUnwrap(encoder.calls.first?.first)
        XCTAssertEqual(history.count, UserVectorRepository.historyLimit)
        XCTAssertEqual(history.map(\.ageSeconds), (0..<20).map { Float(100 + $0) })
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 26, "the log keeps everything")
        XCTAssertEqual(try count("SELECT count(*) FROM interactions"), 25, "an event older than the window is not in the window")

        // Almost two days later, a new event prunes what fell out of the window, for that customer only.
        try connection.execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
            VALUES (99, 1, 'product_viewed', $1::timestamptz, 0)
            """, [now.addingTimeInterval(-window + 1000)])
        let later = now.addingTimeInterval(window - 110)
        let next = try apply([event("new", customer: 10, product: 2, ago: -window + 150)], at: later)
        XCTAssertEqual(next.prunedInteractions, 14, "ages 111…124 s fell out of the window")
        XCTAssertEqual(try UserVectorRepository(connection).interactions(of: 10).count, 12)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions WHERE customer_id = 99"), 1)

        // The sweep prunes customers who went quiet and forgets old message ids.
        XCTAssertEqual(try InteractionRepository(connection).pruneExpired(before: later.addingTimeInterval(-window)), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions WHERE customer_id = 99"), 0)
        XCTAssertEqual(try InteractionRepository(connection).forgetProcessedMessages(before: now.addingTimeInterval(1)), 26)
        XCTAssertEqual(try count("SELECT count(*) FROM processed_messages"), 1)
    }

    func testACustomerWhoseEventsAreAllExpiredKeepsTheirVector() throws {
        _ = try apply([event("m1", customer: 10, product: 1)])
        let before = try XCTUnwrap(try UserVectorRepository(connection).vector(of: 10))
        let result = try apply([event("old", customer: 10, product: 2, ago: window + 60)], at: now.addingTimeInterval(window + 61))
        XCTAssertEqual(result.outcomes, ["old": .applied])
        XCTAssertEqual(result.updatedCustomers, [])
        XCTAssertEqual(result.prunedInteractions, 1)
        XCTAssertEqual(try UserVectorRepository(connection).vector(of: 10), before)
    }

    func testConcurrentBatchesForOneCustomerLeaveTheVectorOfAllItsInteractions() throws {
        let (url, now, window) = (db.url, now, window)
        let encoder: @Sendable ([[HistoryItem]]) -> [[Float]] = { histories in
            histories.map { items in items.reduce(into: [Float](repeating: 0, count: 384)) { v, item in
                for i in 0..<384 { v[i] += item.productVector[i] } } }
        }
        let errors = Self.concurrently(4, url: url) { worker, c, repo in
            for i in 0..<20 {
                let mine = IncomingEvent(messageID: "w\(worker)-\(i)", customerID: 10, productID: Int64(1 + (worker + i) % 5),
                                         eventName: "product_viewed", occurredAt: now.addingTimeInterval(Double(-1000 + worker * 100 + i)))
                let other = IncomingEvent(messageID: "x\(worker)-\(i)", customerID: Int64(20 + worker), productID: 1,
                                          eventName: "product_viewed", occurredAt: now)
                _ = try c.withRetry { _ in
                    try repo.apply([mine, other], now: now, window: window, modelVersion: "t", encode: encoder)
                }
            }
        }
        XCTAssertTrue(errors.isEmpty, "\(errors)")
        XCTAssertEqual(try count("SELECT count(*) FROM interactions WHERE customer_id = 10"), 80)
        let stored = try XCTUnwrap(try UserVectorRepository(connection).vector(of: 10))
        let recomputed = encoder([try XCTUnwrap(try UserVectorRepository(connection)
            .histories(of: [10], now: now, windowStart: now.addingTimeInterval(-window))[10])])[0]
        let difference = zip(stored.embedding, recomputed).map { abs($0 - $1) }.max() ?? 0
        XCTAssertEqual(difference, 0, "the stored vector misses interactions of a concurrent batch")
    }

    /// Runs `body` on `workers` threads at once, each with its own connection and repository; returns what they threw.
    private static func concurrently(_ workers: Int, url: String,
                                     _ body: @Sendable (Int, PQConnection, InteractionRepository) throws -> Void) -> [any Error] {
        let errors = ErrorLog()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                let c = try PQConnection(url: url)
                try body(worker, c, InteractionRepository(c))
            } catch { errors.append(error) }
        }
        return errors.all
    }
}

/// Errors collected from several threads.
private final class ErrorLog: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func append(_ e: any Error) { lock.withLock { errors.append(e) } }
    var all: [any Error] { lock.withLock { errors } }
}
