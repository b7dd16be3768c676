import ReferralProtocol

/// The follow-up visits a discharge notice asks for: a list of steps counted from the discharge,
/// the shape of `followup_plan.steps` in `protocols/business` (`common.schema.json#/$defs/followUpStep`):
///
/// ```json
/// [{ "within_days": 7 }, { "within_days": 30 }, { "every_days": 30, "for_months": 6 }]
/// ```
///
/// - `within_days` N: one visit due N days after discharge;
/// - `every_days` N, `for_months` M: after the previous visit's due time, one visit every N days
///   while it falls within M calendar months of that due time.
///
/// So the brief's example (`FollowUpPlan.standard`, with HEDIS FUH's 7- and 30-day anchors) for
/// a discharge on 9 June is due 16 June, 9 July, then 8 August, 7 September, … 5 January. Days
/// are counted on the follow-up policy's clock (calendar days by default, see
/// `EscalationPolicy.builtIn`); months are always calendar months in CST.
public struct FollowUpPlan: Sendable, Hashable {
    public let steps: [FollowUpStep]

    /// The most steps and visits one plan may have (the business schema's limits: 12 steps,
    /// `visit_number` at most 100).
    public static let maxSteps = FollowUpHeader.maxSteps
    public static let maxVisits = FollowUpHeader.maxVisits

    /// First contact within 7 days, second within 30, then every 30 days for 6 months.
    public static let standard = FollowUpPlan(
        checked: [.within(days: 7), .within(days: 30), .every(days: 30, months: 6)])

    /// Checks the plan with the rules of the wire (`FollowUpHeader.check(steps:)`, 1/RBP §7.3.2): 1-12
    /// steps; days 1-366, months 1-36; `within` steps strictly increasing and all before the first
    /// `every` step; at most 100 visits, counting months as 31 days.
    public init(steps: [FollowUpStep]) throws(FollowUpPlanError) {
        do {
            try FollowUpHeader.check(steps: steps)
        } catch {
            throw FollowUpPlanError(reason: error.reason)
        }
        self.init(checked: steps)
    }

    private init(checked steps: [FollowUpStep]) {
        self.steps = steps
    }

    /// The instant each visit is due, in order (visit n is element n - 1), for a discharge at
    /// `dischargedAt`, with days counted on `clock`.
    ///
    /// `dayMs` other than a real day (`ChinaTime.dayMs`) is for tests of the whole loop only
    /// (the daemon's `followup_day_ms`): a "day" is then `dayMs` of continuous time and a month
    /// 30 of them, whatever `clock` says.
    public func visitDeadlines(
        dischargedAt: Int64, clock: ClockKind, calendar: WorkingCalendar, dayMs: Int64 = ChinaTime.dayMs
    ) -> [Int64] {
        let scaled = dayMs != ChinaTime.dayMs
        func addDays(_ days: Int, to instant: Int64) -> Int64 {
            scaled
                ? instant + Int64(days) * dayMs
                : clock.add(Int64(days) * ChinaTime.dayMs, to: instant, calendar: calendar)
        }
        func addMonths(_ months: Int, to instant: Int64) -> Int64 {
            scaled ? instant + Int64(months) * 30 * dayMs : ChinaTime.add(months: months, to: instant)
        }
        var dues: [Int64] = []
        var previous = dischargedAt
        for step in steps {
            switch step {
            case .within(let days):
                previous = addDays(days, to: dischargedAt)
                dues.append(previous)
            case .every(let days, let months):
                let end = addMonths(months, to: previous)
                while true {
                    let next = addDays(days, to: previous)
                    guard next <= end else { break }
                    dues.append(next)
                    previous = next
                }
            }
        }
        return dues
    }
}

/// One step of a `FollowUpPlan`: the wire's step (`within(days:)`, `every(days:months:)`).
public typealias FollowUpStep = FollowUpHeader.Step

/// Why a follow-up plan was refused (the broker answers the discharge notice with REJECTED).
public struct FollowUpPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "INVALID_FOLLOW_UP_PLAN: \(reason)" }
}
