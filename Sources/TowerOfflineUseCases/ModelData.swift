import Foundation
import TowerConfig
import TowerEvaluation
import TowerEvents
import TowerStore

/// What `tower train` and `tower evaluate` read: the catalog's vectors and the event log, split in time.
public struct ModelData {
    /// The catalog the models rank (`catalog(_:)`).
    public var catalog: CatalogVectors
    /// The events read (training: those before `split`; evaluation: all), with their histories.
    public var log: EventLog
    /// µs since 1970: training reads the events before it, evaluation tests those at or after it.
    public var split: Int64
    /// The recent-interaction window of the histories.
    public var windowSeconds: Double

    /// The training data: the events before `until` (ISO 8601; default: the time at which 90% of logged events
    /// precede), histories inside `window` (a duration; default TOWER_WINDOW). `progress` hears of events read.
    /// - Throws: `ModelDataError` when the catalog or the log is unusable or an option is malformed.
    public static func training(_ repository: EventLogRepository, settings: TowerSettings, until: String?, window: String?,
                                progress: (Int) -> Void = { _ in }) throws -> ModelData {
        try load(repository, settings: settings, split: until, window: window, readingAll: false, progress: progress)
    }

    /// The evaluation data: the whole log, tested from `splitAt` (as `until` of `training`) on.
    public static func evaluation(_ repository: EventLogRepository, settings: TowerSettings, splitAt: String?, window: String?,
                                  progress: (Int) -> Void = { _ in }) throws -> ModelData {
        try load(repository, settings: settings, split: splitAt, window: window, readingAll: true, progress: progress)
    }

    private static func load(_ repository: EventLogRepository, settings: TowerSettings, split text: String?, window: String?,
                             readingAll: Bool, progress: (Int) -> Void) throws -> ModelData {
        let windowSeconds = try Self.window(window, settings)
        let split = try splitTime(text, repository)
        let catalog = try Self.catalog(repository)
        let events = try repository.events(before: readingAll ? nil : split, progress: progress)
        let log = EventLog(events: events, catalog: catalog, eventNames: settings.eventTypes.names, windowSeconds: windowSeconds)
        return ModelData(catalog: catalog, log: log, split: split, windowSeconds: windowSeconds)
    }

    /// The catalog the models rank: products with a text vector (or, lacking one, a served vector), of one width.
    public static func catalog(_ repository: EventLogRepository) throws -> CatalogVectors {
        let rows = try repository.productVectors()
        let usable = rows.compactMap { p in (p.text ?? p.served).map { (id: p.productID, vector: $0, active: p.active) } }
        guard let dimension = usable.first?.vector.count else { throw ModelDataError.noVectors(products: rows.count) }
        if let bad = usable.first(where: { $0.vector.count != dimension }) {
            throw ModelDataError.mixedDimensions(productID: bad.id, found: bad.vector.count, expected: dimension)
        }
        let attributes = Dictionary(uniqueKeysWithValues: rows.map { ($0.productID, ProductAttributes(categories: $0.categories, priceTier: $0.priceTier,
                                                                                                      createdAt: $0.createdAt)) })
        return CatalogVectors(dimension: dimension, products: usable, attributes: attributes)
    }

    /// `--until` / `--split-at`, or the default: the time at which 90% of logged events precede.
    static func splitTime(_ text: String?, _ repository: EventLogRepository) throws -> Int64 {
        if let text {
            do { return InteractionEvent.microseconds(try Timestamp.parse(text)) } catch let e as Timestamp.Invalid {
                throw ModelDataError.badTime(e.reason)
            }
        }
        guard let t = try repository.splitTime(fraction: 0.9) else { throw ModelDataError.emptyLog }
        return t
    }

    /// `--window`, or the configured recent-interaction window.
    static func window(_ text: String?, _ settings: TowerSettings) throws -> Double {
        guard let text else { return settings.windowSeconds }
        guard let seconds = TowerConfig.Duration.parseSeconds(text) else { throw ModelDataError.badWindow(text) }
        return seconds
    }

    /// ISO 8601 UTC text of a time in µs (fractional seconds only when present).
    public static func iso(_ micros: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = micros % 1_000_000 == 0 ? [.withInternetDateTime] : [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }
}

/// A problem with the data or options of `tower train` / `tower evaluate`.
public enum ModelDataError: Error, CustomStringConvertible, Equatable {
    case noVectors(products: Int)
    case mixedDimensions(productID: Int64, found: Int, expected: Int)
    case emptyLog
    case badTime(String)
    case badWindow(String)
    case noModel(path: String)

    public var description: String {
        switch self {
        case .noVectors(let n):
            return n == 0 ? "the catalog is empty: run `tower catalog import FILE` and `tower catalog embed` first"
                : "none of the \(n) products has a vector: run `tower catalog embed` first"
        case .mixedDimensions(let id, let found, let expected):
            return "product \(id) has a \(found)-value vector but others have \(expected): run `tower catalog embed --all`"
        case .emptyLog: return "the event log is empty: run `tower events import FILE` first"
        case .badTime(let reason): return "\(reason)"
        case .badWindow(let text): return "--window \(text) is not a duration like 2d, 36h, 90m or 45s"
        case .noModel(let path): return "no model at \(path): train one with `tower train` (or pass --model FILE)"
        }
    }
}
