/// Settings shared by `tower` and `towerd`, read from a `ConfigSource`.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | TOWER_DATABASE_URL | libpq URL, read/write role | required |
/// | TOWER_READONLY_DATABASE_URL | libpq URL for ranking (replica / SELECT-only role) | TOWER_DATABASE_URL |
/// | TOWER_QUEUE_URL | SQS queue URL | required by towerd and `tower send` |
/// | TOWER_DLQ_URL | dead-letter queue URL | none (rely on the redrive policy) |
/// | AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN | AWS credentials | required |
/// | AWS_ENDPOINT_URL_SQS | endpoint override for SQS-compatible servers | AWS's regional endpoint |
/// | TOWER_MODEL_PATH | user tower weights (safetensors) | `.local/models/user_tower.safetensors` |
/// | TOWER_ENCODER_DIR | folder with MiniLM `model.safetensors` + `vocab.txt` | `.local/models/all-MiniLM-L6-v2` |
/// | TOWER_WINDOW | recent-interaction window | `2d` |
/// | TOWER_EVENT_WEIGHTS | event types and weights | viewed 0.1, clicked 2.0, cart 5.0 |
/// | TOWER_POPULARITY_PERIOD | period popularity counts weighted events over, ending at the newest event | `30d` |
/// | TOWER_EVENT_RETENTION | how long the event log keeps events (pruned by towerd's sweep); `off` keeps all | `90d` |
/// | TOWER_LOG_LEVEL | trace, debug, info, notice, warning, error, critical | info |
/// | TOWER_EVENT_ID_HORIZON | how long a producer's `event_id` is remembered: a repeat within it is skipped | `7d` |
/// | TOWER_MAX_MESSAGE_BYTES | largest event body (queue message or import line); larger ones are refused | 16384 |
/// | TOWER_MAX_FUTURE_SKEW | how far an event's `occurred_at` may lie after its receipt (producers' clock skew) | `1d` |
public struct TowerSettings: Sendable {
    public var databaseURL: String?
    public var readOnlyDatabaseURL: String?
    public var modelPath: String
    public var encoderDirectory: String
    public var windowSeconds: Double
    public var eventTypes: EventTypes
    public var popularityPeriodSeconds: Double
    /// Event-log retention in seconds; nil keeps every event.
    public var eventRetentionSeconds: Double?
    public var logLevel: String
    /// How long a producer's `event_id` is remembered (TOWER_EVENT_ID_HORIZON), in seconds.
    public var eventIDHorizonSeconds: Double
    /// The largest event body in bytes (TOWER_MAX_MESSAGE_BYTES), on the queue and in import files alike.
    public var maxEventBytes: Int
    /// How far `occurred_at` may lie after the receive time (TOWER_MAX_FUTURE_SKEW), in seconds.
    public var maxFutureSkewSeconds: Double

    /// TOWER_EVENT_ID_HORIZON when not set: a week, well past any producer's retries.
    public static let defaultEventIDHorizonSeconds: Double = 7 * 86_400
    /// TOWER_MAX_MESSAGE_BYTES when not set.
    public static let defaultMaxEventBytes = 16_384
    /// TOWER_MAX_FUTURE_SKEW when not set: a day.
    public static let defaultMaxFutureSkewSeconds: Double = 86_400

    public init(_ source: ConfigSource) throws {
        databaseURL = source["TOWER_DATABASE_URL"]
        readOnlyDatabaseURL = source["TOWER_READONLY_DATABASE_URL"] ?? source["TOWER_DATABASE_URL"]
        modelPath = source["TOWER_MODEL_PATH"] ?? ".local/models/user_tower.safetensors"
        encoderDirectory = source["TOWER_ENCODER_DIR"] ?? ".local/models/all-MiniLM-L6-v2"
        windowSeconds = try source.duration("TOWER_WINDOW", default: 2 * 86_400)
        eventTypes = try source["TOWER_EVENT_WEIGHTS"].map(EventTypes.parse) ?? .default
        popularityPeriodSeconds = try source.duration("TOWER_POPULARITY_PERIOD", default: 30 * 86_400)
        eventRetentionSeconds = source["TOWER_EVENT_RETENTION"]?.lowercased() == "off"
            ? nil : try source.duration("TOWER_EVENT_RETENTION", default: 90 * 86_400)
        logLevel = source["TOWER_LOG_LEVEL"] ?? "info"
        eventIDHorizonSeconds = try source.duration("TOWER_EVENT_ID_HORIZON", default: Self.defaultEventIDHorizonSeconds)
        maxEventBytes = try source.int("TOWER_MAX_MESSAGE_BYTES", default: Self.defaultMaxEventBytes)
        guard (64...262_144).contains(maxEventBytes) else {
            throw ConfigError.invalid(key: "TOWER_MAX_MESSAGE_BYTES", value: String(maxEventBytes), expected: "an integer from 64 to 262144")
        }
        maxFutureSkewSeconds = try source.duration("TOWER_MAX_FUTURE_SKEW", default: Self.defaultMaxFutureSkewSeconds)
    }

    /// The read/write database URL, or an error that says how to set it.
    public func requireDatabaseURL() throws -> String {
        guard let url = databaseURL else {
            throw ConfigError.missing(key: "TOWER_DATABASE_URL",
                                      hint: "set it in the environment or an env file (`deploy/local.sh up` writes .local/tower.env)")
        }
        return url
    }
}
