/// One step of a follow-up plan (1/RBP §7.3.2; the business schema's `followUpStep`): `{"within_days": N}` or
/// `{"every_days": N, "for_months": M}`.
public enum FollowUpStep: Sendable, Hashable {
    /// One visit due `days` (1-366) after the discharge.
    case within(days: Int)
    /// A visit every `days` (1-366) after the previous one's due time, for `months` (1-36) calendar months.
    case every(days: Int, months: Int)
}

/// The follow-up visits a discharge notice asks for: steps counted from the discharge, checked with the plan
/// rules of 1/RBP §7.3.2 (this is the one place they are written). The one plan type of the system: the SEND
/// header's `followup` carries its steps (`FollowUpHeader`), the broker arms a deadline per visit (CaseCore's
/// `visitDeadlines`), a node's body gives each visit a date (ReferralClient's `DischargeNotice`).
///
/// ```json
/// [{ "within_days": 7 }, { "within_days": 30 }, { "every_days": 30, "for_months": 6 }]
/// ```
///
/// - `within_days` N: one visit due N days after discharge;
/// - `every_days` N, `for_months` M: after the previous visit's due time, one visit every N days while it falls
///   within M calendar months of that due time.
///
/// So the brief's example (`standard`, with HEDIS FUH's 7- and 30-day anchors) for a discharge on 9 June is due
/// 16 June, 9 July, then 8 August, 7 September, … 5 January.
public struct FollowUpPlan: Sendable, Hashable {
    public let steps: [FollowUpStep]

    /// The limits of the business schema: 12 steps, days 1-366, months 1-36, `visit_number` at most 100.
    public static let maxSteps = 12
    public static let maxDays: Int64 = 366
    public static let maxMonths: Int64 = 36
    public static let maxVisits = 100

    /// First contact within 7 days, second within 30, then every 30 days for 6 months.
    public static let standard = FollowUpPlan(
        checked: [.within(days: 7), .within(days: 30), .every(days: 30, months: 6)])

    /// Checks `steps`: 1 to 12 steps; days 1-366, months 1-36; `within_days` strictly increasing and never after
    /// an `every_days` step (a fixed day cannot follow repeats whose end depends on month lengths); at most
    /// `maxVisits` visits, counting a month as 31 days. The reason of a refusal names the step, never a value
    /// beyond the rule's.
    public init(steps: [FollowUpStep]) throws(FollowUpPlanError) {
        guard (1...Self.maxSteps).contains(steps.count) else {
            throw .init(reason: "followup.steps must be an array of 1 to \(Self.maxSteps) steps, not \(steps.count)")
        }
        var lastWithin = 0
        var repeating = false
        var visits = 0
        for (index, step) in steps.enumerated() {
            switch step {
            case .within(let days):
                guard (1...Self.maxDays).contains(Int64(days)) else {
                    throw .init(reason: "followup.steps[\(index)]: within_days must be 1 to \(Self.maxDays)")
                }
                guard !repeating, days > lastWithin else {
                    throw .init(
                        reason: "followup.steps[\(index)]: within_days must be later than the step before and "
                            + "precede every_days")
                }
                lastWithin = days
                visits += 1
            case .every(let days, let months):
                guard (1...Self.maxDays).contains(Int64(days)), (1...Self.maxMonths).contains(Int64(months)) else {
                    throw .init(
                        reason: "followup.steps[\(index)]: every_days must be 1 to \(Self.maxDays) and for_months 1 "
                            + "to \(Self.maxMonths)")
                }
                repeating = true
                visits += months * 31 / days
            }
        }
        guard visits <= Self.maxVisits else {
            throw .init(reason: "followup.steps: up to \(visits) visits, more than \(Self.maxVisits)")
        }
        self.init(checked: steps)
    }

    private init(checked steps: [FollowUpStep]) {
        self.steps = steps
    }

    /// The visits' due points, one list per step, in order (visit n is the n-th of them all), from `start`: a
    /// `within(days:)` step is due `days` after `start`; an `every(days:months:)` step is due every `days` after
    /// the previous due point (or `start`) while on or before `months` months after that point. The points are
    /// whatever the caller counts in (CST instants on a policy's clock, civil dates), added to by `addingDays`
    /// and `addingMonths`; nil when one of them gives nil (a date out of range).
    public func schedule<Point: Comparable>(
        from start: Point, addingDays: (Int, Point) -> Point?, addingMonths: (Int, Point) -> Point?
    ) -> [[Point]]? {
        var dues: [[Point]] = []
        var previous = start
        for step in steps {
            switch step {
            case .within(let days):
                guard let due = addingDays(days, start) else { return nil }
                dues.append([due])
                previous = due
            case .every(let days, let months):
                guard let end = addingMonths(months, previous) else { return nil }
                var visits: [Point] = []
                while true {
                    guard let next = addingDays(days, previous) else { return nil }
                    guard next <= end else { break }
                    visits.append(next)
                    previous = next
                }
                dues.append(visits)
            }
        }
        return dues
    }
}

/// Why a follow-up plan was refused (the broker answers the discharge notice with REJECTED).
public struct FollowUpPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "INVALID_FOLLOW_UP_PLAN: \(reason)" }
}
