import TowerConfig
import TowerTestSupport
import XCTest
@testable import LibPQ
@testable import TowerWorker

/// Which database failures are outages the worker rides out (held, retried, reported once) and which are not.
/// (DaemonOutageTests produces each for real; the full disk only as root, so it is classified here as well.)
final class DatabaseProblemTests: XCTestCase {
    private func server(_ state: String) -> PQError {
        .server(ServerError(sqlState: SQLState(rawValue: state), severity: "ERROR", message: "m", detail: nil, hint: nil))
    }

    func testOutagesAreClassifiedAndRetriedOthersAreNot() {
        let outages: [(PQError, DatabaseProblem)] = [
            (.connectionFailed("refused"), .unreachable), (.connectionLost("eof"), .unreachable), (server("08006"), .unreachable),
            (server("57P01"), .unreachable), (server("57P03"), .unreachable), (server("25006"), .readOnly),
            (server("53100"), .diskFull), (server("53200"), .insufficientResources), (server("53300"), .insufficientResources),
            (server("57014"), .statementTimeout), (server("55P03"), .lockTimeout),
        ]
        for (error, problem) in outages {
            XCTAssertEqual(DatabaseProblem(error), problem, "\(error)")
            XCTAssertTrue(DatabaseProblem.isRetried(error), "\(error)")
        }
        // Contention is retried quietly; schema, rights and data errors are not retried at all.
        for state in ["40001", "40P01"] {
            XCTAssertNil(DatabaseProblem(server(state)))
            XCTAssertTrue(DatabaseProblem.isRetried(server(state)))
        }
        for state in ["42P01", "42501", "22P02", "23505"] {
            XCTAssertNil(DatabaseProblem(server(state)))
            XCTAssertFalse(DatabaseProblem.isRetried(server(state)))
        }
        XCTAssertTrue(DatabaseProblem.diskFull.explanation.contains("53100"))
    }

    func testTimeoutSettingsHaveDefaultsCanBeTurnedOffAndBoundTheStall() throws {
        func configuration(_ values: [String: String]) throws -> DaemonConfiguration {
            try DaemonConfiguration(TestEnvironment.source(overriding: values))
        }
        let defaults = try configuration([:])
        XCTAssertEqual(defaults.databaseTimeouts, ConnectionTimeouts(connect: 10, statement: 30, lock: 10))
        XCTAssertEqual(defaults.sweepTimeouts, ConnectionTimeouts(connect: 10, statement: nil, lock: 10))
        XCTAssertEqual(defaults.watchdogStallSeconds, 300)
        XCTAssertEqual(defaults.databaseDownLogIntervalSeconds, 300)
        let off = try configuration(["TOWER_DB_CONNECT_TIMEOUT": "off", "TOWER_DB_STATEMENT_TIMEOUT": "OFF", "TOWER_DB_LOCK_TIMEOUT": "2s",
                                     "TOWER_WATCHDOG_STALL": "3s"])
        XCTAssertEqual(off.databaseTimeouts, ConnectionTimeouts(connect: nil, statement: nil, lock: 2))
        XCTAssertThrowsError(try configuration(["TOWER_WATCHDOG_STALL": "20s"])) {
            XCTAssertTrue("\($0)".contains("TOWER_WATCHDOG_STALL") && "\($0)".contains("30 s"), "\($0)")
        }
        XCTAssertThrowsError(try configuration(["TOWER_DB_LOCK_TIMEOUT": "soon"])) { XCTAssertTrue("\($0)".contains("TOWER_DB_LOCK_TIMEOUT")) }
    }
}
