import Foundation
import Logging
import TowerTestSupport
import XCTest
@testable import TowerWorker

/// A receiver whose receives can only fail stops showing signs of life, so the systemd watchdog stops.
final class ReceiverWatchdogTests: XCTestCase {
    func testAReceiverThatCanOnlyFailStopsBeating() throws {
        let fixture = try WorkerFixture(name)
        defer { fixture.tearDown() }
        var configuration = fixture.configuration
        configuration.queueURL += "-does-not-exist"
        let beats = Counter(), stop = StopSignal()
        let metrics = DaemonMetrics(), logger = Logger(label: "test")
        let keeper = try VisibilityKeeper(configuration: configuration, metrics: metrics, stop: stop, logger: logger)
        let receiver = try Receiver(configuration: configuration, metrics: metrics, stop: stop, logger: logger, keeper: keeper,
                                    alive: { beats.increment() })
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { receiver.run(); done.signal() }
        Thread.sleep(forTimeInterval: 3) // failures at 0, ~0.5, ~1.5 s (backoff 0.5 s doubling)
        stop.requestStop()
        receiver.interrupt()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(beats.value, 1, "only the first receive showed life; after a configuration error the pings stop")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
