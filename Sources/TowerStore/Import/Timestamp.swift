import Foundation
import TowerEvents

/// The timestamps of the catalog (`created_at`) and of the training split options; event times follow the
/// stricter `EventTime` of the event contract.
///
/// - ISO-8601 text: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or an offset (`+02:00`, `+0200`, `+02`);
///   a space may stand for `T`; a date alone (`YYYY-MM-DD`) means midnight UTC. A time without a zone is
///   rejected, since its meaning would depend on the importing machine.
/// - Integer epoch milliseconds (a JSON number, or a string of digits). Values before 1973 are rejected
///   because they are almost always epoch *seconds* by mistake.
public enum Timestamp {
    /// Why a timestamp was not accepted.
    public struct Invalid: Error, Equatable {
        public let reason: String
    }

    /// The smallest accepted epoch milliseconds (1973-03-03T09:46:40Z).
    public static let minEpochMilliseconds: Int64 = 100_000_000_000
    /// The first epoch millisecond past the year 9999.
    public static let endEpochMilliseconds: Int64 = 253_402_300_800_000

    /// Parses ISO-8601 text, or a string of digits as epoch milliseconds.
    public static func parse(_ text: String) throws -> Date {
        let b = Array(text.utf8)
        if !b.isEmpty, b.allSatisfy(isDigit) { return try epochMilliseconds(text) }
        let invalid = Invalid(reason: "\"\(text)\" is not an ISO-8601 timestamp (e.g. 2024-05-01T12:00:00Z) or epoch milliseconds")
        var i = 0
        func digits(_ n: Int) throws -> Int {
            guard i + n <= b.count else { throw invalid }
            var v = 0
            for k in i..<(i + n) {
                guard isDigit(b[k]) else { throw invalid }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) throws {
            guard i < b.count, b[i] == c else { throw invalid }
            i += 1
        }
        let year = try digits(4); try expect(UInt8(ascii: "-"))
        let month = try digits(2); try expect(UInt8(ascii: "-"))
        let day = try digits(2)
        guard year >= 1, (1...12).contains(month), day >= 1, day <= UTCCalendar.daysIn(month: month, year: year) else {
            throw Invalid(reason: "\"\(text)\" is not a valid calendar date")
        }
        var seconds = Double(UTCCalendar.daysFromCivil(year, month, day)) * 86_400
        if i == b.count { return Date(timeIntervalSince1970: seconds) }

        guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else { throw invalid }
        i += 1
        let hour = try digits(2); try expect(UInt8(ascii: ":"))
        let minute = try digits(2)
        var second = 0.0
        if i < b.count, b[i] == UInt8(ascii: ":") {
            i += 1
            second = Double(try digits(2))
            if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                var scale = 0.1, any = false
                while i < b.count, isDigit(b[i]) { second += Double(b[i] - 0x30) * scale; scale /= 10; i += 1; any = true }
                guard any else { throw invalid }
            }
        }
        guard hour <= 23, minute <= 59, second < 61 else { throw Invalid(reason: "\"\(text)\" has an invalid time of day") }
        seconds += Double(hour * 3600 + minute * 60) + second

        guard i < b.count else {
            throw Invalid(reason: "\"\(text)\" has no time zone: add Z (UTC) or an offset like +02:00")
        }
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Double = b[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            let oh = try digits(2)
            var om = 0
            if i < b.count {
                if b[i] == UInt8(ascii: ":") { i += 1 }
                om = try digits(2)
            }
            guard oh <= 23, om <= 59 else { throw invalid }
            seconds -= sign * Double(oh * 3600 + om * 60)
        default:
            throw invalid
        }
        guard i == b.count else { throw invalid }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Integer epoch milliseconds given as text (the JSON number as written).
    public static func epochMilliseconds(_ text: String) throws -> Date {
        guard let ms = Int64(text) else {
            throw Invalid(reason: "\(text) is not whole epoch milliseconds")
        }
        guard ms >= minEpochMilliseconds else {
            throw Invalid(reason: "epoch milliseconds \(text) is before 1973: if it is in seconds, multiply by 1000")
        }
        guard ms < endEpochMilliseconds else { throw Invalid(reason: "epoch milliseconds \(text) is after the year 9999") }
        return Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
