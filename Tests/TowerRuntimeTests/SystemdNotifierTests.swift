import Foundation
import TowerTestSupport
import XCTest
@testable import TowerRuntime

final class SystemdNotifierTests: XCTestCase {
    func testNotificationsReachThePathSocket() throws {
        let systemd = try FakeSystemd(abstract: false)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.name])
        XCTAssertTrue(notifier.isEnabled)
        XCTAssertTrue(notifier.ready(status: "consuming\ntower-events"))
        XCTAssertEqual(systemd.receive(), "READY=1\nSTATUS=consuming tower-events")
        XCTAssertTrue(notifier.watchdog())
        XCTAssertEqual(systemd.receive(), "WATCHDOG=1")
        XCTAssertTrue(notifier.status("applied 10"))
        XCTAssertEqual(systemd.receive(), "STATUS=applied 10")
        XCTAssertTrue(notifier.reloading())
        let reloading = try XCTUnwrap(systemd.receive())
        XCTAssertTrue(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        XCTAssertNotNil(UInt64(reloading.components(separatedBy: "MONOTONIC_USEC=")[1]))
        XCTAssertTrue(notifier.stopping())
        XCTAssertEqual(systemd.receive(), "STOPPING=1")
    }

    func testAbstractSocket() throws {
        let systemd = try FakeSystemd(abstract: true)
        XCTAssertTrue(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.name]).ready())
        XCTAssertEqual(systemd.receive(), "READY=1")
    }

    func testWithoutSystemdEverythingIsANoOp() {
        let notifier = SystemdNotifier(environment: [:])
        XCTAssertFalse(notifier.isEnabled)
        XCTAssertFalse(notifier.ready())
        XCTAssertNil(notifier.watchdogInterval)
        XCTAssertFalse(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"]).ready())
    }

    func testWatchdogInterval() {
        let ours = SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"])
        XCTAssertEqual(ours.watchdogTimeout, 30)
        XCTAssertEqual(ours.watchdogInterval, 15)
        XCTAssertEqual(SystemdNotifier(environment: ["WATCHDOG_USEC": "2000000"]).watchdogInterval, 1)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]).watchdogTimeout,
                     "a watchdog meant for another process is not ours")
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogTimeout)
    }
}
