import Foundation
@testable import TowerTextEncoder
import XCTest

final class OrderedPipelineTests: XCTestCase {
    private struct Stop: Error {}

    func testDeliversEveryResultInOrderWhateverTheFinishingOrder() throws {
        var delivered: [(Int, Int)] = []
        // Early inputs take longest, so workers finish out of order.
        try OrderedPipeline.run(0..<50, threads: 3, transform: { (i: Int) -> Int in
            usleep(UInt32((50 - i) * 100))
            return i * i
        }, deliver: { delivered.append(($0, $1)) })
        XCTAssertEqual(delivered.map(\.0), Array(0..<50))
        XCTAssertEqual(delivered.map(\.1), (0..<50).map { $0 * $0 })
    }

    func testEmptyStreamDeliversNothing() throws {
        var count = 0
        try OrderedPipeline.run([Int](), threads: 2, transform: { $0 }, deliver: { _, _ in count += 1 })
        XCTAssertEqual(count, 0)
    }

    func testRunsOnSeveralThreadsAtOnce() throws {
        let active = Counter(), peak = Counter()
        try OrderedPipeline.run(0..<8, threads: 2, transform: { (i: Int) -> Int in
            peak.raise(to: active.add(1))
            usleep(20_000)
            _ = active.add(-1)
            return i
        }, deliver: { _, _ in })
        XCTAssertEqual(peak.value, 2)
    }

    func testStopsTakingInputsWhenDeliveryThrowsAndRethrows() {
        let taken = Counter()
        let stream = AnyIterator<Int> { taken.add(1) <= 1000 ? 1 : nil }
        XCTAssertThrowsError(try OrderedPipeline.run(stream, threads: 2, transform: { $0 }, deliver: { _, _ in throw Stop() })) {
            XCTAssertTrue($0 is Stop)
        }
        // The window (2 × threads) bounds how far the workers ran ahead of the failed delivery.
        XCTAssertLessThanOrEqual(taken.value, 8)
    }

    /// A thread-safe integer.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        var value: Int { lock.withLock { n } }
        func add(_ d: Int) -> Int { lock.withLock { n += d; return n } }
        func raise(to v: Int) { lock.withLock { n = max(n, v) } }
    }
}
