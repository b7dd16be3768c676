import ReferralProtocol

/// Calendar days in China Standard Time (UTC+8, no daylight saving since 1991).
///
/// Why a fixed offset and no time-zone database: every agency the broker serves is in one
/// province, holidays are announced as CST dates, and a fixed offset keeps the core free of
/// Foundation and of the host's settings. Days are numbered from 1970-01-01 (day 0); the
/// civil-date conversions are ReferralProtocol's `CivilDate`.
public enum ChinaTime {
    public static let offsetMs: Int64 = 8 * hourMs
    public static let dayMs: Int64 = 86_400_000
    public static let hourMs: Int64 = 3_600_000
    public static let minuteMs: Int64 = 60_000

    /// The CST day an instant falls in.
    public static func day(of instant: Int64) -> Int64 {
        let shifted = instant + offsetMs
        return shifted >= 0 ? shifted / dayMs : (shifted - dayMs + 1) / dayMs
    }

    /// 00:00 CST of `day`.
    public static func start(ofDay day: Int64) -> Int64 { day * dayMs - offsetMs }

    /// 0 Sunday, 1 Monday, … 6 Saturday (1970-01-01 was a Thursday).
    public static func weekday(ofDay day: Int64) -> Int { Int(((day + 4) % 7 + 7) % 7) }

    /// The day of a valid civil date, or nil (month 1-12, day within the month).
    public static func day(year: Int, month: Int, day: Int) -> Int64? {
        guard CivilDate.isValid(year: year, month: month, day: day) else { return nil }
        return CivilDate.days(year: year, month: month, day: day)
    }

    /// The civil date of `day`.
    public static func date(ofDay day: Int64) -> (year: Int, month: Int, day: Int) { CivilDate.date(days: day) }

    /// The instant of a CST wall-clock time, or nil for an invalid date or time.
    public static func instant(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0) -> Int64? {
        guard (0...23).contains(hour), (0...59).contains(minute),
            let number = self.day(year: year, month: month, day: day)
        else { return nil }
        return start(ofDay: number) + Int64(hour) * hourMs + Int64(minute) * minuteMs
    }

    /// The day of a `yyyy-mm-dd` date (years 1970-9999), or nil when the text is anything else.
    public static func day(parsing text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for b in bytes[range] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), year >= 1970, let month = number(5..<7), let day = number(8..<10) else {
            return nil
        }
        return self.day(year: year, month: month, day: day)
    }

    /// `yyyy-mm-dd` of `day`.
    public static func text(ofDay day: Int64) -> String {
        let date = date(ofDay: day)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
    }

    /// The same CST wall-clock time `months` calendar months later; a day that the target month
    /// lacks becomes its last day (31 January + 1 month = 28 or 29 February).
    public static func add(months: Int, to instant: Int64) -> Int64 {
        let day = day(of: instant)
        let timeOfDay = instant - start(ofDay: day)
        let date = date(ofDay: day)
        let monthIndex = date.year * 12 + (date.month - 1) + months
        let year = monthIndex >= 0 ? monthIndex / 12 : (monthIndex - 11) / 12
        let month = monthIndex - year * 12 + 1
        let target = self.day(year: year, month: month, day: min(date.day, CivilDate.daysIn(month: month, year: year)))!
        return start(ofDay: target) + timeOfDay
    }
}
