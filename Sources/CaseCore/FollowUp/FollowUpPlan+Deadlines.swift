import ReferralProtocol

extension FollowUpPlan {
    /// The instant each visit is due, in order (visit n is element n - 1), for a discharge at `dischargedAt`
    /// (`schedule(from:addingDays:addingMonths:)`), with days counted on the follow-up policy's `clock`
    /// (calendar days by default, see `EscalationPolicy.builtIn`); months are always calendar months in CST.
    ///
    /// `dayMs` other than a real day (`ChinaTime.dayMs`) is for tests of the whole loop only (the daemon's
    /// `followup_day_ms`): a "day" is then `dayMs` of continuous time and a month 30 of them, whatever `clock`
    /// says.
    public func visitDeadlines(
        dischargedAt: Int64, clock: ClockKind, calendar: WorkingCalendar, dayMs: Int64 = ChinaTime.dayMs
    ) -> [Int64] {
        let scaled = dayMs != ChinaTime.dayMs
        let dues = schedule(
            from: dischargedAt,
            addingDays: { days, instant in
                scaled
                    ? instant + Int64(days) * dayMs
                    : clock.add(Int64(days) * ChinaTime.dayMs, to: instant, calendar: calendar)
            },
            addingMonths: { months, instant in
                scaled ? instant + Int64(months) * 30 * dayMs : ChinaTime.add(months: months, to: instant)
            })
        return dues?.flatMap { $0 } ?? []
    }
}
