import Foundation
import TowerStore
import XCTest

final class TimestampTests: XCTestCase {
    private func seconds(_ s: String) throws -> Double { try Timestamp.parse(s).timeIntervalSince1970 }

    private func assertInvalid(_ s: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Timestamp.parse(s), file: file, line: line) { e in
            let reason = (e as? Timestamp.Invalid)?.reason ?? "\(e)"
            XCTAssertTrue(reason.contains(fragment), "\(reason) lacks \(fragment)", file: file, line: line)
        }
    }

    func testISO8601Forms() throws {
        XCTAssertEqual(try seconds("2018-09-24T14:27:30Z"), 1_537_799_250)
        XCTAssertEqual(try seconds("1996-03-29T18:36:55Z"), 828_124_615)
        XCTAssertEqual(try seconds("2018-09-24 16:27:30+02:00"), 1_537_799_250)
        XCTAssertEqual(try seconds("2018-09-24T09:27:30-0500"), 1_537_799_250)
        XCTAssertEqual(try seconds("2018-09-24T15:27:30+01"), 1_537_799_250)
        XCTAssertEqual(try seconds("2018-09-24T14:27Z"), 1_537_799_220)
        XCTAssertEqual(try seconds("2018-09-24t14:27:30z"), 1_537_799_250)
        XCTAssertEqual(try seconds("2024-02-29T00:00:00.123456Z"), 1_709_164_800.123456, accuracy: 1e-6)
        XCTAssertEqual(try seconds("2024-05-01"), 1_714_521_600)
        XCTAssertEqual(try seconds("1969-12-31T23:59:59Z"), -1)
        XCTAssertEqual(try seconds("2000-03-01T00:00:00Z"), 951_868_800)
    }

    func testEpochMilliseconds() throws {
        XCTAssertEqual(try seconds("1537799250123"), 1_537_799_250.123, accuracy: 1e-6)
        XCTAssertEqual(try Timestamp.epochMilliseconds("1537799250000").timeIntervalSince1970, 1_537_799_250)
        XCTAssertThrowsError(try Timestamp.epochMilliseconds("1537799250")) {
            XCTAssertTrue(($0 as? Timestamp.Invalid)?.reason.contains("in seconds, multiply by 1000") ?? false)
        }
        XCTAssertThrowsError(try Timestamp.epochMilliseconds("1.5e12"))
        XCTAssertThrowsError(try Timestamp.epochMilliseconds("99999999999999999999"))
        XCTAssertThrowsError(try Timestamp.epochMilliseconds("253402300800000"))
    }

    func testInvalidTimestamps() {
        assertInvalid("2018-09-24T14:27:30", "no time zone")
        assertInvalid("2023-02-29T00:00:00Z", "not a valid calendar date")
        assertInvalid("2024-13-01", "not a valid calendar date")
        assertInvalid("2024-04-31", "not a valid calendar date")
        assertInvalid("2024-05-01T24:00:00Z", "invalid time of day")
        assertInvalid("yesterday", "not an ISO-8601 timestamp")
        assertInvalid("2024-05-01T12:00:00Zjunk", "not an ISO-8601 timestamp")
        assertInvalid("2024-05-01T12:00:00.Z", "not an ISO-8601 timestamp")
        assertInvalid("", "not an ISO-8601 timestamp")
    }
}
