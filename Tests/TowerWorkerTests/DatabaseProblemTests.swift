import XCTest
@testable import Postgres
@testable import TowerWorker

/// Which database failures are outages the worker rides out (held, retried, reported once) and which are not.
/// (DaemonOutageTests produces each for real; the full disk only as root, so it is classified here as well.)
final class DatabaseProblemTests: XCTestCase {
    private func server(_ state: String) -> PostgresError {
        .server(ServerError(sqlState: SQLState(rawValue: state), severity: "ERROR", message: "m", detail: nil, hint: nil))
    }

    func testOutagesAreClassifiedAndRetriedOthersAreNot() {
        let outages: [(PostgresError, DatabaseProblem)] = [
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
}
