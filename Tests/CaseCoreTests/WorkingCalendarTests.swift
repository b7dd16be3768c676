import CaseCore
import ReferralProtocol
import Testing

@Suite struct ChinaTimeTests {
    @Test func civilDatesAreChinaStandardTime() throws {
        #expect(cst(2025, 10, 1) == 1_759_248_000_000)  // 2025-09-30T16:00:00Z
        let october1 = try #require(ChinaTime.day(parsing: "2025-10-01"))
        #expect(ChinaTime.start(ofDay: october1) == cst(2025, 10, 1))
        #expect(ChinaTime.weekday(ofDay: october1) == 3)  // a Wednesday
        #expect(ChinaTime.text(ofDay: october1) == "2025-10-01")
        #expect(ChinaTime.day(of: cst(2025, 10, 1) - 1) == october1 - 1)
        #expect(ChinaTime.text(ofDay: try #require(ChinaTime.day(parsing: "2024-02-29"))) == "2024-02-29")
    }

    @Test func onlyRealDatesParse() {
        for text in ["2025-02-29", "2025-13-01", "2025-04-31", "25-10-01", "2025/10/01", "2025-1-01", "1969-12-31", ""]
        {
            #expect(ChinaTime.day(parsing: text) == nil, "\(text)")
        }
    }
}

@Suite struct WorkingCalendarTests {
    @Test func weekendsStandStill() {
        let calendar = WorkingCalendar()
        // Friday 15:00 + one working day = Monday 15:00.
        #expect(calendar.add(workingDays: 1, to: cst(2025, 6, 6, 15)) == cst(2025, 6, 9, 15))
        // From a Saturday the clock starts on Monday: three working days end Thursday 00:00.
        #expect(calendar.add(workingDays: 3, to: cst(2025, 6, 7, 10)) == cst(2025, 6, 12))
        #expect(calendar.add(workingTime: 0, to: cst(2025, 6, 7, 10)) == cst(2025, 6, 7, 10))
    }

    @Test func holidaysStandStillAndMakeUpDaysCount() throws {
        let calendar = try nationalDay2025()
        // Thursday 25 Sep + 3 working days: Friday 26, Sunday 28 (worked), Monday 29.
        #expect(calendar.add(workingDays: 3, to: cst(2025, 9, 25, 10)) == cst(2025, 9, 29, 10))
        // Tuesday 30 Sep 10:00 + 3 working days: 1-8 Oct are off, Thursday 9 and Friday 10 count,
        // and the third day ends on Saturday 11 (worked) at 10:00.
        #expect(calendar.add(workingDays: 3, to: cst(2025, 9, 30, 10)) == cst(2025, 10, 11, 10))
        // Friday 10 Oct + 2: Saturday 11 (worked), skip Sunday 12, Monday 13.
        #expect(calendar.add(workingDays: 2, to: cst(2025, 10, 10, 10)) == cst(2025, 10, 13, 10))
        #expect(!calendar.isWorkingDay(ChinaTime.day(of: cst(2025, 10, 3))))
        #expect(calendar.isWorkingDay(ChinaTime.day(of: cst(2025, 10, 11))))
    }

    @Test func crisisClocksNeverPause() throws {
        let calendar = try nationalDay2025()
        let night = cst(2025, 10, 1, 3, 0)
        #expect(ClockKind.continuous.add(15 * minute, to: night, calendar: calendar) == cst(2025, 10, 1, 3, 15))
        #expect(ClockKind.workingDays.add(15 * minute, to: night, calendar: calendar) == cst(2025, 10, 9, 0, 15))
    }

    @Test func badCalendarsAreRefusedWithThePathOfTheEntry() {
        #expect(throws: ConfigurationError(field: "holidays[1]", reason: "\"2025-10-32\" is not a date yyyy-mm-dd")) {
            try WorkingCalendar(holidays: ["2025-10-01", "2025-10-32"], workdays: [])
        }
        #expect(throws: ConfigurationError(field: "workdays", reason: "2025-10-01 is listed both as a holiday and a workday")) {
            try WorkingCalendar(holidays: ["2025-10-01"], workdays: ["2025-10-01"])
        }
    }
}
