import Foundation

/// A view of `count` floats inside a `Workspace` (valid until the workspace starts its next pass).
package struct FloatBuffer {
    package let pointer: UnsafeMutablePointer<Float>
    package let count: Int

    /// Sets every value to zero.
    package func zero() { pointer.update(repeating: 0, count: count) }

    /// A copy of `count` values from `start`.
    package func array(from start: Int = 0, count n: Int? = nil) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer + start, count: n ?? count - start))
    }
}

/// Grow-only scratch memory for the passes of one thread at a time: once it has grown to the largest
/// batch, passes allocate nothing (no page faults, no clearing of fresh pages).
package final class Workspace {
    private var base: UnsafeMutablePointer<Float>
    private var capacity: Int
    private var used = 0

    package init() {
        capacity = 0
        base = .allocate(capacity: 1)
    }

    deinit { base.deallocate() }

    /// Starts a pass that takes at most `total` floats (in buffers of the given sizes); earlier buffers become invalid.
    package func begin(sizes: [Int]) {
        let total = sizes.reduce(0) { $0 + Self.rounded($1) }
        if total > capacity {
            base.deallocate()
            capacity = total
            base = .allocate(capacity: total)
        }
        used = 0
    }

    /// The next buffer of `count` floats, zeroed when asked.
    package func take(_ count: Int, zeroed: Bool = false) -> FloatBuffer {
        precondition(used + Self.rounded(count) <= capacity, "workspace: more taken than announced in begin(sizes:)")
        let buffer = FloatBuffer(pointer: base + used, count: count)
        used += Self.rounded(count)
        if zeroed { buffer.zero() }
        return buffer
    }

    /// Sizes rounded up to 16 floats (64 bytes) so every buffer starts cache-line aligned relative to the base.
    private static func rounded(_ n: Int) -> Int { (max(n, 1) + 15) / 16 * 16 }
}

/// Workspaces for concurrent callers of one model: each call borrows one and gives it back.
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Workspace] = []

    func borrow() -> Workspace { lock.withLock { idle.popLast() } ?? Workspace() }

    func giveBack(_ w: Workspace) { lock.withLock { idle.append(w) } }
}
