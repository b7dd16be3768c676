import CaseCore
import ReferralProtocol
import Testing

@Suite struct FollowUpPlanTests {
    @Test func theStandardPlanIsSevenThirtyThenMonthlyForSixMonths() {
        let dues = FollowUpPlan.standard.visitDeadlines(
            dischargedAt: cst(2025, 6, 9, 9), clock: .continuous, calendar: WorkingCalendar())
        #expect(
            dues == [
                cst(2025, 6, 16, 9), cst(2025, 7, 9, 9),
                // every 30 days while within six months of 9 July (9 January)
                cst(2025, 8, 8, 9), cst(2025, 9, 7, 9), cst(2025, 10, 7, 9), cst(2025, 11, 6, 9), cst(2025, 12, 6, 9),
                cst(2026, 1, 5, 9),
            ])
    }

    @Test func aPlanOnTheWorkingDayClockSkipsWeekends() throws {
        let plan = try FollowUpPlan(steps: [.within(days: 7)])
        let dues = plan.visitDeadlines(
            dischargedAt: cst(2025, 6, 9, 9), clock: .workingDays, calendar: WorkingCalendar())
        #expect(dues == [cst(2025, 6, 18, 9)])  // Monday + 7 working days = Wednesday of the next week
    }

    @Test func monthsAreCalendarMonthsInChinaStandardTime() {
        #expect(ChinaTime.add(months: 1, to: cst(2025, 1, 31, 9)) == cst(2025, 2, 28, 9))
        #expect(ChinaTime.add(months: 13, to: cst(2023, 1, 29, 23, 30)) == cst(2024, 2, 29, 23, 30))
        #expect(ChinaTime.add(months: -2, to: cst(2025, 1, 15)) == cst(2024, 11, 15))
    }

    @Test(
        arguments: [
            ([], "followup.steps must be an array of 1 to 12 steps, not 0"),
            (
                Array(repeating: FollowUpStep.every(days: 300, months: 1), count: 13),
                "followup.steps must be an array of 1 to 12 steps, not 13"
            ),
            (
                [.within(days: 7), .within(days: 7)],
                "followup.steps[1]: within_days must be later than the step before and precede every_days"
            ),
            ([.within(days: 0)], "followup.steps[0]: within_days must be 1 to 366"),
            ([.within(days: 367)], "followup.steps[0]: within_days must be 1 to 366"),
            (
                [.every(days: 30, months: 1), .within(days: 90)],
                "followup.steps[1]: within_days must be later than the step before and precede every_days"
            ),
            ([.every(days: 0, months: 6)], "followup.steps[0]: every_days must be 1 to 366 and for_months 1 to 36"),
            ([.every(days: 7, months: 37)], "followup.steps[0]: every_days must be 1 to 366 and for_months 1 to 36"),
            ([.within(days: 7), .every(days: 7, months: 24)], "followup.steps: up to 107 visits, more than 100"),
        ] as [([FollowUpStep], String)])
    func aBadPlanIsRefused(steps: [FollowUpStep], reason: String) {
        #expect(throws: FollowUpPlanError(reason: reason)) { try FollowUpPlan(steps: steps) }
    }

    @Test func visitsMeetTheEarliestOpenDeadlineAndClosingEndsThePlan() {
        var progress = FollowUpProgress(planned: 4)
        #expect(progress.openVisits == 1...4)
        #expect(progress.recordVisit() == 1)
        #expect(progress.recordVisit() == 2)
        #expect(progress.close() == [3, 4])
        #expect(progress.openVisits == nil)
        #expect(progress.recordVisit() == nil)
        #expect(progress.close() == [])
        var done = FollowUpProgress(planned: 1, met: 1)
        #expect(done.recordVisit() == nil)
    }
}

@Suite struct DischargeFollowUpTests {
    let caseId = "0b6f3c2a-1d4e-4f5a-8b9c-0d1e2f3a4b5c"

    /// The scenario: a discharge with a two-visit plan; the first visit is made, the
    /// second is missed; the child director's supervisor is told, then the county; the visit
    /// arrives and the escalation stops.
    @Test func aMissedVisitClimbsTheChainUntilTheVisitArrives() throws {
        let chains: [String: EscalationChain] = [
            "director-1": [["township-supervisor-1"], ["county-civil-affairs"], ["city-civil-affairs"]],
            "school-1": [["county-education"], ["city-education"]],
        ]
        var timers = TimerTable { [chains[$0.awaited.party] ?? []] }
        let policies = EscalationPolicies.default
        let discharged = cst(2025, 6, 9, 9)  // Monday
        let source = DeadlineSource(
            caseId: caseId, seq: 500, kind: "discharge.notice", level: .followUp, acceptedAt: discharged)
        let plan = try FollowUpPlan(steps: [.within(days: 7), .within(days: 30)])
        var progress = FollowUpProgress(planned: 2)

        let deliveries = policies.deadlines(
            for: source, recipients: ["school-1", "director-1"], calendar: WorkingCalendar())
        let visits = policies.followUpDeadlines(
            for: source, plan: plan, responsible: "director-1", calendar: WorkingCalendar())
        #expect(
            deliveries.map(\.awaited) == [
                .delivery(seq: 500, recipient: "school-1"), .delivery(seq: 500, recipient: "director-1"),
            ])
        #expect(visits.map(\.due) == [cst(2025, 6, 16, 9), cst(2025, 7, 9, 9)])
        #expect(visits.map(\.id) == ["500:v1:director-1:0", "500:v2:director-1:0"])
        timers.arm(deliveries + visits)

        timers.settle { if case .delivery = $0 { true } else { false } }  // both systems took the notice
        #expect(timers.advance(to: cst(2025, 6, 12, 15)).isEmpty)
        let firstVisit = progress.recordVisit()  // visit record on Thursday
        let first = try #require(firstVisit)
        timers.settle(visits[first - 1].itemId)
        #expect(timers.advance(to: cst(2025, 7, 9, 8, 59)).isEmpty)

        let step1 = timers.advance(to: cst(2025, 7, 9, 9))
        #expect(
            step1 == [
                EscalationNotice(
                    id: "esc:500:v2:director-1:0", caseId: caseId, kind: "discharge.notice", armedBy: 500,
                    itemId: "500:v2:director-1",
                    overdue: .followUpVisit(number: 2, by: "director-1"),
                    level: 1, originalDue: cst(2025, 7, 9, 9), recipients: ["township-supervisor-1"])
            ])
        #expect(timers.advance(to: cst(2025, 7, 12, 8)).isEmpty)
        let step2 = timers.advance(to: cst(2025, 7, 12, 9))  // three days later (follow-up repeat)
        #expect(step2.map(\.recipients) == [["county-civil-affairs"]])
        #expect(step2.map(\.level) == [2] && step2.map(\.originalDue) == [cst(2025, 7, 9, 9)])

        let secondVisit = progress.recordVisit()  // the visit comes at last
        let second = try #require(secondVisit)
        #expect(second == 2)
        timers.settle(visits[second - 1].itemId)
        #expect(timers.advance(to: cst(2025, 8, 1)).isEmpty)
        #expect(timers.pending.isEmpty)
        #expect(timers.sent.count == 2)
    }

    @Test func closingThePlanSettlesTheVisitsStillOpen() throws {
        var timers = TimerTable { _ in [[["township-supervisor-1"]]] }
        let source = DeadlineSource(
            caseId: caseId, seq: 600, kind: "discharge.notice", level: .followUp, acceptedAt: cst(2025, 6, 9, 9))
        let visits = EscalationPolicies.default.followUpDeadlines(
            for: source, plan: .standard, responsible: "director-1", calendar: WorkingCalendar())
        timers.arm(visits)
        var progress = FollowUpProgress(planned: visits.count)
        _ = progress.recordVisit()
        for number in [1] + progress.close() { timers.settle(visits[number - 1].itemId) }
        #expect(timers.advance(to: cst(2026, 6, 1)).isEmpty)
        #expect(timers.pending.isEmpty)
    }
}
