import ReferralProtocol
import Testing

/// The one follow-up plan type (issue 9): its schedule, counted in whatever points the caller adds days and months
/// to (here: whole days, a month being 30).
@Suite struct FollowUpPlanScheduleTests {
    func schedule(_ plan: FollowUpPlan, from start: Int = 0) -> [[Int]]? {
        plan.schedule(from: start, addingDays: { days, point in point + days }, addingMonths: { $1 + $0 * 30 })
    }

    @Test func theStandardPlanIsSevenThirtyThenEveryThirtyDaysForSixMonths() {
        #expect(schedule(.standard) == [[7], [30], [60, 90, 120, 150, 180, 210]])
        #expect(schedule(.standard, from: 100) == [[107], [130], [160, 190, 220, 250, 280, 310]])
    }

    @Test func aStepThatFitsNoVisitHasAnEmptyListAndAnOutOfRangeDateNone() throws {
        let sparse = try FollowUpPlan(steps: [.within(days: 3), .every(days: 40, months: 1)])
        #expect(schedule(sparse) == [[3], []])
        let plan = try FollowUpPlan(steps: [.within(days: 3)])
        #expect(plan.schedule(from: 0, addingDays: { _, _ in nil }, addingMonths: { $1 + $0 }) == nil)
    }

    @Test func theHeaderRefusesWhatThePlanRefuses() throws {
        let text = #"{"steps":[{"within_days":30},{"within_days":7}],"visits_by":["test-b"]}"#
        let value = try JSONReader.parse(Array(text.utf8), maxDepth: 4)
        let header = try #require(throws: FollowUpHeaderError.self) { try FollowUpHeader(value) }
        let plan = try #require(throws: FollowUpPlanError.self) {
            try FollowUpPlan(steps: [.within(days: 30), .within(days: 7)])
        }
        #expect(header.reason == plan.reason)
        #expect(plan.reason == "followup.steps[1]: within_days must be later than the step before and precede every_days")
    }
}
