import Foundation
import LibPQ
import TowerConfig
import TowerQueue

/// Everything `towerd` reads from its configuration, validated once at start.
///
/// Besides `TowerSettings` and `SQSConfiguration`:
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | TOWER_QUEUE_URL | the event queue | required |
/// | TOWER_DLQ_URL | dead-letter queue for rejected messages | none: the queue's redrive policy handles them |
/// | TOWER_WORKERS | worker threads, each with its own queue client and database connection (their round trips overlap) | 2 |
/// | TOWER_RECEIVE_WAIT | long-poll wait per receive (0…20 s) | 20s |
/// | TOWER_VISIBILITY_TIMEOUT | how long a received batch stays hidden from other consumers | 60s |
/// | TOWER_MAX_MESSAGE_BYTES | larger bodies are dead-lettered | 16384 |
/// | TOWER_PRODUCT_RETRY_RECEIVES | receives of an event whose product has no vector before it is dead-lettered (below the redrive policy's maxReceiveCount) | 8 |
/// | TOWER_PRODUCT_RETRY_DELAY | first wait before such an event is retried (doubles each time, at most 15 min) | 15s |
/// | TOWER_SWEEP_INTERVAL | period of the sweep (quiet customers, old message ids, popularity, trending; at most 1h) | 10m |
/// | TOWER_NEIGHBORS_INTERVAL | period of the sweep's recomputation of `product_neighbors` (co-visitation) | 6h |
/// | TOWER_PROCESSED_RETENTION | how long applied message ids are remembered (≥ the queue's retention) | 14d |
/// | TOWER_DB_CONNECT_TIMEOUT | connecting to PostgreSQL (TCP, TLS, authentication), `off` for none | 10s |
/// | TOWER_DB_STATEMENT_TIMEOUT | statement_timeout of the workers' connections (the sweep's has none), `off` for none | 30s |
/// | TOWER_DB_LOCK_TIMEOUT | lock_timeout of every connection (customer locks included), `off` for none | 10s |
/// | TOWER_DB_DOWN_LOG_INTERVAL | how often `database still down` is repeated during an outage | 5m |
/// | TOWER_WATCHDOG_STALL | a batch held this long without the database being down stops the watchdog pings | 5m |
public struct DaemonConfiguration: Sendable {
    public var settings: TowerSettings
    public var sqs: SQSConfiguration
    public var databaseURL: String
    public var queueURL: String
    public var deadLetterQueueURL: String?
    public var workers: Int
    public var receiveWaitSeconds: Int
    public var visibilityTimeoutSeconds: Int
    public var maxMessageBytes: Int
    public var productRetryReceives: Int
    public var productRetryDelaySeconds: Double
    public var sweepIntervalSeconds: Double
    public var processedRetentionSeconds: Double
    public var neighborsIntervalSeconds: Double
    /// The workers' connection limits (TOWER_DB_*_TIMEOUT).
    public var databaseTimeouts: ConnectionTimeouts
    public var databaseDownLogIntervalSeconds: Double
    public var watchdogStallSeconds: Double

    /// TOWER_WORKERS when not set. Two: while one worker waits on a round trip the other works; on the 2-core test
    /// machine, shared with the queue server and PostgreSQL, two drain about as much as one when it is otherwise idle
    /// and 1.5× as much when it is busy, at a somewhat higher p99 (`tower bench daemon`, docs/daemon.md).
    public static let defaultWorkers = 2

    /// The longest wait before an event whose product has no vector is received again.
    public static let maxProductRetryDelaySeconds = 900.0

    /// - Throws: `ConfigError` (or `CredentialError`) naming the key to fix.
    public init(_ source: ConfigSource) throws {
        settings = try TowerSettings(source)
        sqs = try SQSConfiguration(source)
        databaseURL = try settings.requireDatabaseURL()
        queueURL = try SQSConfiguration.requireQueueURL(source)
        if source["TOWER_DLQ_URL"] != nil {
            deadLetterQueueURL = try SQSConfiguration.requireQueueURL(source, key: "TOWER_DLQ_URL")
        }
        workers = try Self.int(source, "TOWER_WORKERS", default: Self.defaultWorkers, in: 1...64)
        receiveWaitSeconds = Int(try source.duration("TOWER_RECEIVE_WAIT", default: 20).rounded())
        guard (1...20).contains(receiveWaitSeconds) else {
            throw ConfigError.invalid(key: "TOWER_RECEIVE_WAIT", value: source["TOWER_RECEIVE_WAIT"] ?? "",
                                      expected: "1 to 20 seconds (SQS's long-poll limit)")
        }
        visibilityTimeoutSeconds = Int(try source.duration("TOWER_VISIBILITY_TIMEOUT", default: 60).rounded())
        guard (10...43_200).contains(visibilityTimeoutSeconds) else {
            throw ConfigError.invalid(key: "TOWER_VISIBILITY_TIMEOUT", value: source["TOWER_VISIBILITY_TIMEOUT"] ?? "",
                                      expected: "10 seconds to 12 hours")
        }
        maxMessageBytes = try Self.int(source, "TOWER_MAX_MESSAGE_BYTES", default: EventDecoder.defaultMaxBodyBytes, in: 64...262_144)
        productRetryReceives = try Self.int(source, "TOWER_PRODUCT_RETRY_RECEIVES", default: 8, in: 1...1_000)
        productRetryDelaySeconds = try source.duration("TOWER_PRODUCT_RETRY_DELAY", default: 15)
        sweepIntervalSeconds = try source.duration("TOWER_SWEEP_INTERVAL", default: 600)
        guard sweepIntervalSeconds <= 3_600 else {
            throw ConfigError.invalid(key: "TOWER_SWEEP_INTERVAL", value: source["TOWER_SWEEP_INTERVAL"] ?? "",
                                      expected: "at most 1h (the sweep keeps product_trending at most an hour old)")
        }
        neighborsIntervalSeconds = try source.duration("TOWER_NEIGHBORS_INTERVAL", default: 6 * 3_600)
        processedRetentionSeconds = try source.duration("TOWER_PROCESSED_RETENTION", default: 14 * 86_400)
        databaseTimeouts = ConnectionTimeouts(connect: try Self.limit(source, "TOWER_DB_CONNECT_TIMEOUT", default: 10),
                                              statement: try Self.limit(source, "TOWER_DB_STATEMENT_TIMEOUT", default: 30),
                                              lock: try Self.limit(source, "TOWER_DB_LOCK_TIMEOUT", default: 10))
        databaseDownLogIntervalSeconds = try source.duration("TOWER_DB_DOWN_LOG_INTERVAL", default: 300)
        watchdogStallSeconds = try source.duration("TOWER_WATCHDOG_STALL", default: 300)
        let longestWait = max(databaseTimeouts.statement ?? 0, databaseTimeouts.lock ?? 0)
        guard watchdogStallSeconds > longestWait else {
            throw ConfigError.invalid(key: "TOWER_WATCHDOG_STALL", value: source["TOWER_WATCHDOG_STALL"] ?? "",
                                      expected: "longer than TOWER_DB_STATEMENT_TIMEOUT and TOWER_DB_LOCK_TIMEOUT (\(Int(longestWait)) s): a wait they end is not a hang")
        }
    }

    /// The sweep's connection limits: as the workers', without a statement timeout (recomputing co-visitation
    /// over a large event log may take minutes).
    public var sweepTimeouts: ConnectionTimeouts {
        ConnectionTimeouts(connect: databaseTimeouts.connect, statement: nil, lock: databaseTimeouts.lock)
    }

    /// The decoder for this configuration's event types and size limit.
    public var decoder: EventDecoder { EventDecoder(eventTypes: settings.eventTypes, maxBodyBytes: maxMessageBytes) }

    /// Seconds until an event whose product has no vector is received again, after its `receives`-th receive.
    public func productRetryDelay(afterReceive receives: Int) -> Int {
        let delay = productRetryDelaySeconds * pow(2, Double(max(0, min(receives - 1, 20))))
        return Int(min(delay, Self.maxProductRetryDelaySeconds).rounded())
    }

    /// A duration, or nil for `off` (no limit).
    private static func limit(_ source: ConfigSource, _ key: String, default def: Double) throws -> Double? {
        source[key]?.lowercased() == "off" ? nil : try source.duration(key, default: def)
    }

    private static func int(_ source: ConfigSource, _ key: String, default def: Int, in range: ClosedRange<Int>) throws -> Int {
        let v = try source.int(key, default: def)
        guard range.contains(v) else {
            throw ConfigError.invalid(key: key, value: String(v), expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }
}
