import Foundation
import TowerConfig
import TowerEvaluation
import TowerStore

/// Loading the catalog's vectors and the event log for `tower train` and `tower evaluate`.
enum ModelDataSupport {
    /// The catalog the models rank: products with a text vector (or, lacking one, a served vector).
    static func catalog(_ repository: EventLogRepository) throws -> CatalogVectors {
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

    /// The event log (events before `before` µs when given), with a progress bar.
    static func events(_ repository: EventLogRepository, before: Int64?) throws -> [LoggedEvent] {
        let progress = Progress("reading events", total: nil, unit: "events")
        let rows = try repository.events(before: before) { progress.advance(by: $0) }
        progress.finish()
        return rows.map { LoggedEvent(customerID: $0.customerID, productID: $0.productID, eventName: $0.eventName, time: $0.occurredAt) }
    }

    /// `--until` / `--split-at`, or the default: the time at which 90% of logged events precede.
    static func splitTime(_ text: String?, _ repository: EventLogRepository) throws -> Int64 {
        if let text {
            do { return microseconds(try Timestamp.parse(text)) } catch let e as Timestamp.Invalid {
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

    static func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// ISO 8601 UTC text of a time in µs (fractional seconds only when present).
    static func iso(_ micros: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = micros % 1_000_000 == 0 ? [.withInternetDateTime] : [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }
}

/// A problem with the data or options of `tower train` / `tower evaluate`.
enum ModelDataError: Error, CustomStringConvertible {
    case noVectors(products: Int)
    case mixedDimensions(productID: Int64, found: Int, expected: Int)
    case emptyLog
    case badTime(String)
    case badWindow(String)
    case noModel(path: String)

    var description: String {
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
