import ReferralProtocol

/// Which CST days are working days: Monday to Friday, minus the configured public holidays,
/// plus the configured make-up working days (调休: the weekend days the State Council turns into
/// working days around long holidays).
///
/// Why configured and not computed: China's holidays follow the lunar calendar and the
/// make-up days are announced each year by the State Council, so the operator loads them as a
/// list. A day not listed follows the weekend rule.
///
/// Configuration (a section of the lead's configuration file; dates are CST `yyyy-mm-dd`):
///
/// ```json
/// { "holidays": ["2025-10-01", "2025-10-02", "2025-10-08"], "workdays": ["2025-09-28", "2025-10-11"] }
/// ```
public struct WorkingCalendar: Sendable, Hashable {
    /// Holiday days (CST day numbers, see `ChinaTime`).
    public let holidays: Set<Int64>
    /// Make-up working days (CST day numbers).
    public let workdays: Set<Int64>

    /// Weekends only: no holidays, no make-up days.
    public init() {
        holidays = []
        workdays = []
    }

    /// Checks and loads the two lists. A date that is not a valid `yyyy-mm-dd`, or a day listed
    /// both as a holiday and as a make-up working day, is refused; the path names the entry.
    public init(holidays: [String], workdays: [String]) throws(ConfigurationError) {
        func days(_ texts: [String], _ name: String) throws(ConfigurationError) -> Set<Int64> {
            var result: Set<Int64> = []
            for (index, text) in texts.enumerated() {
                guard let day = ChinaTime.day(parsing: text) else {
                    throw ConfigurationError(field: "\(name)[\(index)]", reason: "\"\(text)\" is not a date yyyy-mm-dd")
                }
                result.insert(day)
            }
            return result
        }
        let holidays = try days(holidays, "holidays")
        let workdays = try days(workdays, "workdays")
        if let both = holidays.intersection(workdays).min() {
            throw ConfigurationError(
                field: "workdays", reason: "\(ChinaTime.text(ofDay: both)) is listed both as a holiday and a workday")
        }
        self.holidays = holidays
        self.workdays = workdays
    }

    /// Whether `day` (a CST day number) is a working day.
    public func isWorkingDay(_ day: Int64) -> Bool {
        if workdays.contains(day) { return true }
        if holidays.contains(day) { return false }
        let weekday = ChinaTime.weekday(ofDay: day)
        return weekday != 0 && weekday != 6
    }

    /// The instant at which `ms` of working time have passed since `instant`: time runs only
    /// during working days (whole CST days) and stands still on weekends and holidays. An
    /// instant on a non-working day starts counting at the next working day's 00:00.
    ///
    /// Examples: one working day from Friday 15:00 is Monday 15:00; three working days from a
    /// Saturday end at the end of Wednesday (Thursday 00:00). A zero or negative `ms` is `instant`.
    public func add(workingTime ms: Int64, to instant: Int64) -> Int64 {
        guard ms > 0 else { return instant }
        var remaining = ms
        var now = instant
        var day = ChinaTime.day(of: instant)
        while true {
            let end = ChinaTime.start(ofDay: day + 1)
            if isWorkingDay(day) {
                let available = end - now
                if remaining <= available { return now + remaining }
                remaining -= available
            }
            now = end
            day += 1
        }
    }

    /// `add(workingTime: workingDays × 24 h, to:)`: the clock of routine and urgent items.
    public func add(workingDays: Int, to instant: Int64) -> Int64 {
        add(workingTime: Int64(workingDays) * ChinaTime.dayMs, to: instant)
    }
}
