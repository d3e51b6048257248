import Foundation
import LibPQ
import TowerQueue

/// What the daemon benchmarks set up and tear down: the towerd binary, scratch databases and queues, the queue
/// server's pid.
enum BenchScratch {
    /// `path`, or the towerd beside this tower binary.
    static func towerdBinary(_ path: String?) throws -> URL {
        let url = path.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("towerd")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchError.setup("no towerd binary at \(url.path): build it (swift build -c release --product towerd) or pass --towerd")
        }
        return url
    }

    /// Creates (after dropping) database `name` owned by the role of `rw`; returns `rw` pointed at it.
    static func createDatabase(_ name: String, admin: String, rw: String) throws -> String {
        let owner = URLComponents(string: rw)?.user ?? "tower"
        let c = try PQConnection(url: admin)
        let sql = try c.query("""
            SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text), format('CREATE DATABASE %I OWNER %I TEMPLATE template1', $1::text, $2::text)
            """, [name, owner])[0]
        try c.execute(try sql.decode(0, as: String.self))
        try c.execute(try sql.decode(1, as: String.self))
        var components = URLComponents(string: rw)!
        components.path = "/" + name
        return components.string!
    }

    static func dropDatabase(_ name: String, admin: String) throws {
        let c = try PQConnection(url: admin)
        try c.execute(try c.query("SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)", [name])[0].decode(0, as: String.self))
    }

    /// The pid in a pid file, if it holds one.
    static func pid(fromFile path: String) -> Int32? {
        FileManager.default.contents(atPath: path).flatMap { Int32(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Runs `body` with a fresh queue `name`, deleted afterwards.
    static func withQueue<T>(_ name: String, sqs: SQSConfiguration, attributes: [String: String] = ["VisibilityTimeout": "60"],
                             _ body: (String) throws -> T) throws -> T {
        let client = try SQSClient(configuration: sqs)
        let queue = try client.createQueue(name: name, attributes: attributes)
        defer { try? client.deleteQueue(queueURL: queue) }
        return try body(queue)
    }
}
