/// The two forms of `occurred_at`, parsed to microseconds since the epoch with integer arithmetic only.
///
/// - RFC 3339 `date-time` in full: `YYYY-MM-DD`, then `T`, `t` or a space, `HH:MM:SS`, an optional fraction of any
///   number of digits (kept to the microsecond, the rest truncated), then `Z`, `z` or `±HH:MM`. The date must exist
///   (no 2024-02-30), hours are 00–23, minutes 00–59, seconds 00–59, or 60 at 23:59 UTC (a leap second, counted
///   as the next second, as PostgreSQL does). Nothing may follow.
/// - Integer epoch milliseconds: digits only (no sign, fraction or exponent), at least 10¹¹ (1973-03-03): smaller
///   values are almost always epoch seconds by mistake.
public enum EventTime {
    /// The smallest accepted epoch milliseconds (1973-03-03T09:46:40Z).
    public static let minEpochMilliseconds: Int64 = 100_000_000_000

    /// Microseconds since the epoch of an RFC 3339 date-time, or why it is not one (completing "occurred_at …").
    public static func rfc3339(_ text: String) -> Result<Int64, EventRejection> {
        var b = Array(text.utf8)[...]
        let shown = EventContract.quoted(text)
        let notRFC3339 = EventRejection.badOccurredAt("\(shown) is not an RFC 3339 date-time such as 2024-05-01T12:00:00Z")
        func digits(_ n: Int) -> Int? {
            guard b.count >= n else { return nil }
            var v = 0
            for c in b.prefix(n) {
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            b = b.dropFirst(n)
            return v
        }
        func take(_ allowed: String) -> Bool {
            guard let c = b.first, allowed.utf8.contains(c) else { return false }
            b = b.dropFirst()
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
              take("Tt "), let hour = digits(2), take(":"), let minute = digits(2), take(":"), let second = digits(2)
        else { return .failure(notRFC3339) }
        var micros: Int64 = 0
        if take(".") {
            var scale: Int64 = 100_000, any = false
            while let c = b.first, c >= 0x30, c <= 0x39 {
                micros += Int64(c - 0x30) * scale
                scale /= 10
                any = true
                b = b.dropFirst()
            }
            guard any else { return .failure(notRFC3339) }
        }
        var offsetMinutes = 0
        if b.isEmpty {
            return .failure(.badOccurredAt("\(shown) has no time zone: add Z (UTC) or an offset like +02:00"))
        } else if take("Zz") {
        } else if let sign = b.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            b = b.dropFirst()
            guard let oh = digits(2), take(":"), let om = digits(2) else { return .failure(notRFC3339) }
            guard oh <= 23, om <= 59 else { return .failure(.badOccurredAt("\(shown) has an offset out of range")) }
            offsetMinutes = (sign == UInt8(ascii: "+") ? 1 : -1) * (oh * 60 + om)
        } else {
            return .failure(notRFC3339)
        }
        guard b.isEmpty else { return .failure(notRFC3339) }
        guard (1...12).contains(month), day >= 1, day <= UTCCalendar.daysIn(month: month, year: year) else {
            return .failure(.badOccurredAt("\(shown) is not a calendar date"))
        }
        let utcMinuteOfDay = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
        guard hour <= 23, minute <= 59, second <= 59 || (second == 60 && utcMinuteOfDay == 1439) else {
            return .failure(.badOccurredAt("\(shown) is not a time of day (hours 00–23, minutes and seconds 00–59)"))
        }
        let seconds = Int64(UTCCalendar.daysFromCivil(year, month, day)) * 86_400
            + Int64(hour * 3_600 + (minute - offsetMinutes) * 60 + second)
        return .success(seconds * 1_000_000 + micros)
    }

    /// Microseconds since the epoch of a JSON number as written, when it is integer epoch milliseconds.
    public static func epochMilliseconds(_ number: String) -> Result<Int64, EventRejection> {
        let b = number.utf8
        if b.first == UInt8(ascii: "-") {
            return .failure(.badOccurredAt("\(number.prefix(40)) is before 1970"))
        }
        guard b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .failure(.badOccurredAt("\(number.prefix(40)) is not integer epoch milliseconds (no fraction or exponent)"))
        }
        guard let ms = Int64(number), ms <= Int64.max / 1_000 else {
            return .failure(.badOccurredAt("epoch milliseconds \(number.prefix(40)) are too far in the future"))
        }
        guard ms >= minEpochMilliseconds else {
            return .failure(.badOccurredAt("epoch milliseconds \(number) are before 1973-03-03: if they are seconds, multiply by 1000"))
        }
        return .success(ms * 1_000)
    }
}

extension EventTime {
    /// `micros` (µs since the epoch, not negative) as RFC 3339 in UTC: `2024-05-01T12:00:00Z`, with a fraction of
    /// six digits when it has one.
    public static func rfc3339String(_ micros: Int64) -> String {
        let seconds = micros / 1_000_000, fraction = micros % 1_000_000
        let days = Int(seconds / 86_400), secondOfDay = Int(seconds % 86_400)
        let (y, m, d) = UTCCalendar.civil(fromDays: days)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 { text += "." + pad(Int(fraction), 6) }
        return text + "Z"
    }
}

/// Proleptic Gregorian calendar arithmetic in UTC.
public enum UTCCalendar {
    /// Days in `month` (1…12) of `year`.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a date (H. Hinnant's algorithm).
    public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date (year, month, day) of a count of days since 1970-01-01 (the inverse of `daysFromCivil`).
    public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - (153 * mp + 2) / 5 + 1)
    }
}
