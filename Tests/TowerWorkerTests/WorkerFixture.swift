import Foundation
import LibPQ
import Logging
import TowerConfig
import TowerModel
import TowerQueue
import TowerStore
import TowerTestSupport
import XCTest
@testable import TowerWorker

/// Resources of one pipeline test: a scratch database with products, a fresh queue and DLQ, and the
/// settings a daemon would read for them.
final class WorkerFixture {
    let db: ScratchDatabase
    let connection: PQConnection
    let client: SQSClient
    let queueURL: String
    let dlqURL: String
    /// Settings for a daemon on these resources (process environment form).
    let settings: [String: String]
    let configuration: DaemonConfiguration
    static let window: TimeInterval = 2 * 86_400
    /// Products 1…`products` have vectors; `products + 1` exists without one.
    let products: Int

    init(_ label: String, products: Int = 50, overrides: [String: String] = [:]) throws {
        db = try ScratchDatabase(label)
        connection = try db.connect()
        try Migrator(connection).migrate(readOnlyRole: nil)
        self.products = products
        try connection.execute("""
            INSERT INTO products (product_id, name, embedding)
            SELECT i, 'product ' || i, (SELECT array_agg(sin(i * 7.0 + j * 0.37 + cos(j * i)))::float4[]::vector
                                        FROM generate_series(1, 384) j)
            FROM generate_series(1, $1::int) i
            """, [products])
        try connection.execute("INSERT INTO products (product_id, name) VALUES ($1, 'no vector yet')", [products + 1])

        client = try SQSClient(TestEnvironment.source())
        let name = "tw-\(label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(24))-\(UUID().uuidString.prefix(8).lowercased())"
        queueURL = try client.createQueue(name: name, attributes: ["VisibilityTimeout": "30"])
        dlqURL = try client.createQueue(name: name + "-dlq")
        var s = TestEnvironment.values
        for (k, v) in [
            "TOWER_DATABASE_URL": db.url, "TOWER_QUEUE_URL": queueURL, "TOWER_DLQ_URL": dlqURL,
            "TOWER_RECEIVE_WAIT": "1", "TOWER_VISIBILITY_TIMEOUT": "10", "TOWER_METRICS_ADDR": "off",
            "TOWER_MODEL_PATH": "/nonexistent/user_tower.safetensors", "TOWER_WORKERS": "2", "TOWER_LOG_LEVEL": "info",
        ] { s[k] = v }
        for (k, v) in overrides { s[k] = v }
        settings = s
        configuration = try DaemonConfiguration(ConfigSource(values: s))
    }

    func tearDown() {
        try? client.deleteQueue(queueURL: queueURL)
        try? client.deleteQueue(queueURL: dlqURL)
        db.drop()
    }

    // MARK: queue

    static func body(customer: Int64, product: Int64, event: String = "product_viewed") -> String {
        #"{"customer_id":\#(customer),"product_id":\#(product),"event_name":"\#(event)"}"#
    }

    /// Sends bodies in batches of 10; returns the message ids in order.
    @discardableResult
    func send(_ bodies: [String], to queue: String? = nil) throws -> [String] {
        var ids: [String] = []
        for chunk in stride(from: 0, to: bodies.count, by: 10).map({ Array(bodies[$0..<min($0 + 10, bodies.count)]) }) {
            let result = try client.sendMessageBatch(queueURL: queue ?? queueURL, entries: chunk.enumerated().map {
                SQSSendEntry(id: "e\($0.offset)", body: $0.element)
            })
            XCTAssertEqual(result.failed, [])
            let byEntry = Dictionary(uniqueKeysWithValues: result.successful.map { ($0.id, $0.messageID) })
            ids += chunk.indices.map { byEntry["e\($0)"]! }
        }
        return ids
    }

    /// Messages waiting or in flight on `queue`.
    func queueDepth(_ queue: String? = nil) throws -> Int {
        let a = try client.getQueueAttributes(queueURL: queue ?? queueURL,
                                              names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        return (Int(a["ApproximateNumberOfMessages"] ?? "0") ?? 0) + (Int(a["ApproximateNumberOfMessagesNotVisible"] ?? "0") ?? 0)
    }

    /// Receives from `queue` until `count` messages arrived or `polls` receives came back empty.
    func receive(_ count: Int, from queue: String? = nil, visibility: Int? = nil, polls: Int = 5) throws -> [SQSMessage] {
        var messages: [SQSMessage] = [], empty = 0
        while messages.count < count, empty < polls {
            let got = try client.receiveMessages(queueURL: queue ?? queueURL, waitTimeSeconds: 1, visibilityTimeout: visibility)
            if got.isEmpty { empty += 1 }
            messages += got
        }
        return messages
    }

    // MARK: pipeline in process

    func pipeline(model: ModelHolder? = nil, metrics: DaemonMetrics = DaemonMetrics()) throws -> Pipeline {
        Pipeline(configuration: configuration, queue: client, connection: try db.connect(),
                 model: try model ?? ModelHolder(path: configuration.settings.modelPath, eventTypes: configuration.settings.eventTypes),
                 metrics: metrics, stop: StopSignal(), logger: .init(label: "test"))
    }

    /// Receives and processes batches until the queue has nothing visible for a receive; returns the summaries.
    func drain(with pipeline: Pipeline) throws -> [BatchSummary] {
        var summaries: [BatchSummary] = []
        while case let batch = try client.receiveMessages(queueURL: queueURL, waitTimeSeconds: 1), !batch.isEmpty {
            summaries.append(try pipeline.process(batch))
        }
        return summaries
    }

    // MARK: database

    /// A count, reconnecting when the server restarted meanwhile.
    func count(_ sql: String, _ params: [(any PQBindable)?] = []) throws -> Int {
        try connection.withRetry(LibPQ.RetryPolicy(maxAttempts: 40, baseDelay: 0.2, maxDelay: 1)) { try $0.query(sql, params)[0].decode(0) }
    }

    /// Waits until `sql` counts at least `target` (polling), up to `timeout` seconds; returns the last count.
    @discardableResult
    func waitForCount(_ sql: String, atLeast target: Int, timeout: Double) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var n = try count(sql)
        while n < target, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            n = try count(sql)
        }
        return n
    }

    /// Asserts that each customer's stored vector is the untrained model's output for their stored
    /// interactions, as of the vector's `updated_at`.
    func assertVectorsMatchRecompute(customers: [Int64], file: StaticString = #filePath, line: UInt = #line) throws {
        let model = UserTowerModel.untrained(eventWeights: configuration.settings.eventTypes.weights)
        let repo = UserVectorRepository(connection)
        for customer in customers {
            let stored = try XCTUnwrap(try repo.vector(of: customer), "no vector for customer \(customer)", file: file, line: line)
            XCTAssertEqual(stored.modelVersion, model.version, file: file, line: line)
            let history = try XCTUnwrap(try repo.histories(of: [customer], now: stored.updatedAt,
                                                           windowStart: stored.updatedAt.addingTimeInterval(-Self.window))[customer],
                                        file: file, line: line)
            let expected = model.encode([history.map {
                TowerInteraction(productVector: $0.productVector, eventName: $0.eventName, ageSeconds: $0.ageSeconds)
            }])[0]
            XCTAssertEqual(stored.embedding.count, expected.count, file: file, line: line)
            let worst = zip(stored.embedding, expected).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "customer \(customer): stored vector differs from the recompute", file: file, line: line)
        }
    }

    /// Asserts that every message id is in the event log exactly once and nothing else is.
    func assertAppliedExactlyOnce(_ messageIDs: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try count("SELECT count(*) FROM events"), messageIDs.count, "events logged", file: file, line: line)
        XCTAssertEqual(try count("SELECT count(DISTINCT message_id) FROM events WHERE message_id = ANY($1::text[])", [PQArray(messageIDs)]),
                       messageIDs.count, "distinct message ids", file: file, line: line)
        XCTAssertEqual(try count("SELECT count(*) FROM interactions"), messageIDs.count, "interactions", file: file, line: line)
    }
}
