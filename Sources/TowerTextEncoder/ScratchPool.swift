import Foundation

/// Reusable scratch buffers for forward passes: fresh multi-megabyte allocations on every batch
/// cost page faults. One buffer per concurrent caller; buffers only grow.
final class ScratchPool: @unchecked Sendable {
    // `free` is only touched under `lock`; a buffer belongs to one caller between take and return.
    private var free: [UnsafeMutableBufferPointer<Float>] = []
    private let lock = NSLock()

    /// Runs `body` with a buffer of at least `capacity` floats (contents undefined).
    func withBuffer<T>(capacity: Int, _ body: (UnsafeMutablePointer<Float>) -> T) -> T {
        var buffer = lock.withLock { free.popLast() }
        if let small = buffer, small.count < capacity {
            small.deallocate()
            buffer = nil
        }
        let b = buffer ?? .allocate(capacity: max(capacity, 1))
        defer { lock.withLock { free.append(b) } }
        return body(b.baseAddress!)
    }

    deinit { free.forEach { $0.deallocate() } }
}
