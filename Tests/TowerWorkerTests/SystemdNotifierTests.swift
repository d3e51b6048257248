import Foundation
import XCTest
@testable import TowerWorker

final class SystemdNotifierTests: XCTestCase {
    /// A datagram socket standing in for systemd's notification socket.
    private final class FakeSystemd {
        let fd: Int32
        let name: String

        init(abstract: Bool) throws {
            let id = "tower-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            name = abstract ? "@" + id : FileManager.default.temporaryDirectory.appendingPathComponent(id).path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(name.utf8)
            if abstract { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
        }

        deinit {
            close(fd)
            if !name.hasPrefix("@") { unlink(name) }
        }
    }

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
