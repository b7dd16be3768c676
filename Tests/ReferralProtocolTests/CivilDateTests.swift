import ReferralProtocol
import Testing

/// The one civil-date conversion (issue 9): day numbers from 1970-01-01 and back, at the edges.
@Suite struct CivilDateTests {
    @Test(arguments: [
        ((1970, 1, 1), Int64(0)),
        ((1969, 12, 31), -1),
        ((2000, 2, 29), 11_016),  // a century year that is a leap year
        ((2000, 3, 1), 11_017),
        ((1900, 3, 1), -25_508),  // 1900 has no 29 February
        ((2024, 2, 29), 19_782),
        ((2099, 12, 31), 47_481),
        ((2100, 3, 1), 47_541),  // 2100 has no 29 February
        ((1, 1, 1), -719_162),
        ((9999, 12, 31), 2_932_896),
    ])
    func dayNumbersAtTheEdges(date: (Int, Int, Int), days: Int64) {
        #expect(CivilDate.days(year: date.0, month: date.1, day: date.2) == days)
        let back = CivilDate.date(days: days)
        #expect(back.year == date.0 && back.month == date.1 && back.day == date.2)
    }

    @Test func leapYearsAndMonthLengths() {
        #expect(CivilDate.isLeap(year: 2000) && CivilDate.isLeap(year: 2024))
        #expect(!CivilDate.isLeap(year: 1900) && !CivilDate.isLeap(year: 2100) && !CivilDate.isLeap(year: 2023))
        #expect(CivilDate.isValid(year: 2000, month: 2, day: 29))
        #expect(!CivilDate.isValid(year: 1900, month: 2, day: 29) && !CivilDate.isValid(year: 2100, month: 2, day: 29))
        #expect(!CivilDate.isValid(year: 2026, month: 4, day: 31) && CivilDate.isValid(year: 2026, month: 12, day: 31))
        #expect(!CivilDate.isValid(year: 2026, month: 13, day: 1) && !CivilDate.isValid(year: 2026, month: 1, day: 0))
    }

    /// Every day from 1969 to the end of 2100 goes there and back, each the day after the one before.
    @Test func everyDayRoundTrips() {
        var wrong: [Int64] = []
        var previous = CivilDate.date(days: -366)
        for days in Int64(-365)...47_846 {
            let date = CivilDate.date(days: days)
            let lastOfMonth = previous.day == CivilDate.daysIn(month: previous.month, year: previous.year)
            let follows =
                lastOfMonth
                ? date.day == 1 && date.month == previous.month % 12 + 1
                    && date.year == previous.year + (previous.month == 12 ? 1 : 0)
                : date == (previous.year, previous.month, previous.day + 1)
            if !follows || CivilDate.days(year: date.year, month: date.month, day: date.day) != days {
                wrong.append(days)
            }
            previous = date
        }
        #expect(wrong.isEmpty, "first wrong day numbers: \(wrong.prefix(5))")
    }
}
