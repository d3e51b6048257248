import Foundation
import Synchronization

/// A bounded map shared by a ranker's threads whose entries expire `ttl` seconds after they were stored.
///
/// Two generations approximate least-recently-used eviction at the cost of two dictionary lookups: entries go
/// into the current generation; when it holds `capacity / 2`, it becomes the previous one (the old previous is
/// dropped), and an entry found in the previous generation moves back into the current one. So at most
/// `capacity` entries (rounded up to even) are kept, and the ones used since the last turnover survive it.
/// Capacity 0 stores nothing.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        let value: Value
        let storedAt: Double
    }

    private struct Generations {
        var current: [Key: Entry] = [:]
        var previous: [Key: Entry] = [:]
    }

    let capacity: Int
    let ttl: TimeInterval
    private let clock: @Sendable () -> Double
    private let generations = Mutex(Generations())

    /// `clock`: seconds on a monotonic scale (tests pass their own).
    init(capacity: Int, ttl: TimeInterval,
         clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.capacity = max(0, capacity)
        self.ttl = ttl
        self.clock = clock
    }

    /// The fresh values of `keys` that are cached (missing and expired keys are absent from the result).
    func values(for keys: some Sequence<Key>) -> [Key: Value] {
        guard capacity > 0 else { return [:] }
        let now = clock()
        return generations.withLock { g in
            var found: [Key: Value] = [:]
            for key in keys {
                if let e = g.current[key] {
                    if now - e.storedAt < ttl { found[key] = e.value } else { g.current[key] = nil }
                } else if let e = g.previous.removeValue(forKey: key), now - e.storedAt < ttl {
                    found[key] = e.value
                    Self.insert(key, e, into: &g, half: capacity / 2)
                }
            }
            return found
        }
    }

    /// The fresh cached value of `key`.
    func value(for key: Key) -> Value? { values(for: CollectionOfOne(key))[key] }

    /// Stores `values`, each fresh for `ttl` from now.
    func store(_ values: [Key: Value]) {
        guard capacity > 0, !values.isEmpty else { return }
        let now = clock()
        generations.withLock { g in
            for (key, value) in values {
                g.previous[key] = nil
                Self.insert(key, Entry(value: value, storedAt: now), into: &g, half: capacity / 2)
            }
        }
    }

    /// Stores one value.
    func store(_ value: Value, for key: Key) { store([key: value]) }

    /// Entries held (fresh or not yet evicted), for tests.
    var count: Int { generations.withLock { $0.current.count + $0.previous.count } }

    private static func insert(_ key: Key, _ entry: Entry, into g: inout Generations, half: Int) {
        if g.current[key] == nil, g.current.count >= max(1, half) {
            g.previous = g.current
            g.current = [:]
        }
        g.current[key] = entry
    }
}
