import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import LibPQ
import TowerMath
import TowerStore
import TowerTestSupport
import TowerWorker
import XCTest
@testable import TowerServe

/// A scratch database with a small catalog, one customer with a vector and history, neighbour and trending
/// rows, and a `TowerServer` running in this process on a loopback test port.
final class ServeFixture: @unchecked Sendable {
    let db: ScratchDatabase
    let writer: PQConnection
    let port: Int
    let logLines = LogLines()
    private var task: Task<Void, any Error>?

    /// Ports 18500–18599 are this suite's; each fixture takes the next one.
    nonisolated(unsafe) private static var nextPort = 18500 + Int(ProcessInfo.processInfo.processIdentifier % 40)
    private static let lock = NSLock()

    static func takePort() -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextPort += 1
        if nextPort > 18589 { nextPort = 18500 }
        return nextPort
    }

    init(_ label: String) throws {
        db = try ScratchDatabase(label)
        writer = try db.connect()
        try Migrator(writer).migrate()
        port = Self.takePort()
        try seed()
    }

    deinit {
        task?.cancel()
        db.drop()
    }

    /// 40 products in two categories; customer 1 has a vector near product 1's and viewed products 3 and 5.
    private func seed() throws {
        // Until h10b's migration lands these tables come from SCHEMA.md; afterwards the statements do nothing.
        try writer.execute("""
            CREATE TABLE IF NOT EXISTS product_neighbors (product_id bigint NOT NULL, kind text NOT NULL, neighbor_id bigint NOT NULL,
                score real NOT NULL, PRIMARY KEY (product_id, kind, neighbor_id))
            """)
        try writer.execute("""
            CREATE TABLE IF NOT EXISTS product_trending (product_id bigint PRIMARY KEY, weight_1d real NOT NULL, weight_7d real NOT NULL,
                weight_30d real NOT NULL, trend_score real NOT NULL, refreshed_at timestamptz NOT NULL)
            """)
        try writer.execute("GRANT SELECT ON product_neighbors, product_trending TO tower_ro")
        var rng = SplitMix64(seed: 3)
        let base = (0..<384).map { _ in rng.nextGaussian() }
        try writer.transaction {
            for id in 1...40 {
                let top = id % 2 == 0 ? "Garden" : "Outdoor"
                let v = base.enumerated().map { i, x in x + Float(id) * 0.05 * rng.nextGaussian() }
                try writer.execute("""
                    INSERT INTO products (product_id, name, merchant, category_path, color, price, popularity, created_at, active, embedding)
                    VALUES ($1, $2, $3, $4::text[], $5, $6, $7, now() - make_interval(hours => $8), true, $9::vector)
                    """, [Int64(id), "Product \(id)", id % 3 == 0 ? "acme" : "globex", PQArray([top, id % 4 < 2 ? "Tents" : "Tools"]),
                          id % 5 == 0 ? "red" : "green", Double(id) * 2.5, Double(40 - id), id, PQVector(v)])
            }
            try writer.execute("INSERT INTO user_vectors (customer_id, embedding, model_version) VALUES (1, $1::vector, 'test')",
                               [PQVector(base)])
            for (n, product) in [Int64(3), 5, 3].enumerated() {
                try writer.execute("""
                    INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
                    VALUES (1, $1, 'view', now() - make_interval(mins => $2), $3)
                    """, [product, 10 - n, Int64(n + 1)])
            }
            for (neighbor, score) in [(Int64(2), 0.9), (4, 0.5), (7, 0.2)] {
                try writer.execute("INSERT INTO product_neighbors VALUES (1, 'covisit', $1, $2), (1, 'bought', $1, $3)",
                                   [neighbor, score, score / 2])
            }
            for id in 1...10 {
                try writer.execute("INSERT INTO product_trending VALUES ($1, 1, 2, 3, $2, now())", [Int64(id), Double(11 - id)])
            }
        }
    }

    func configuration(keys: [String]? = nil, workers: Int = 4, queue: Int = 64, rate: Double = 0, burst: Double = 1,
                       cors: [String] = []) -> ServeConfiguration {
        ServeConfiguration(port: port, databaseURL: db.readOnlyURL, workers: workers, queueCapacity: queue,
                           keyDigests: keys.map { Set($0.map(APIKeys.digest)) }, rateLimit: rate, rateBurst: burst,
                           corsOrigins: cors, drainSeconds: 5)
    }

    /// Starts the server and waits until it answers.
    func start(_ configuration: ServeConfiguration) async throws {
        let lines = logLines
        let logger = Logger(label: "tower-serve") { label in
            JSONLogHandler(label: label, output: LogOutput(journal: false) { lines.append($0) })
        }
        let server = TowerServer(configuration: configuration, logger: logger)
        task = Task { try await server.run(handleSignals: false) }
        for _ in 0..<100 {
            if (try? await get("/health").status) == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("server did not start on port \(port)")
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let data: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: data) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await send("GET", path, headers: headers)
    }

    func send(_ method: String, _ path: String, body: Any? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode,
                     headers: Dictionary(http.allHeaderFields.map { ("\($0.key)", "\($0.value)") }, uniquingKeysWith: { a, _ in a }),
                     data: data)
    }
}

/// The log lines a server wrote.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ bytes: [UInt8]) {
        lock.lock()
        lines.append(String(decoding: bytes, as: UTF8.self))
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
