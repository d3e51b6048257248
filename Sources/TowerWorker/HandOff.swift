import Foundation

/// A one-slot hand-off between two threads of a worker: `put` waits while the slot is full, `take`
/// waits while it is empty, and after `close()` `take` drains the slot and then returns nil.
final class HandOff<Value>: @unchecked Sendable {
    // `slot` and `closed` are only touched under `condition`.
    private let condition = NSCondition()
    private var slot: Value?
    private var closed = false

    /// Leaves `value` for the taker once the previous value was taken.
    func put(_ value: Value) {
        condition.withLock {
            while slot != nil { condition.wait() }
            slot = value
            condition.broadcast()
        }
    }

    /// The next value, waiting for one; nil once the hand-off is closed and empty.
    func take() -> Value? {
        condition.withLock {
            while slot == nil && !closed { condition.wait() }
            defer { slot = nil; condition.broadcast() }
            return slot
        }
    }

    /// No more values will be put.
    func close() {
        condition.withLock { closed = true; condition.broadcast() }
    }
}
