import ReferralProtocol

/// A discharge notice's `followup_plan`: the hospital's reference and the steps of the plan, counted from the
/// discharge date, for example first contact within 7 days, the second within 30, then every 30 days for 6
/// months. The plan itself, its rules and its schedule, is ReferralProtocol's `FollowUpPlan` (`plan`), the one
/// the SEND header carries and the broker arms deadlines with.
public struct FollowUpPlanSection: Codable, Sendable, Hashable {
    /// The hospital's reference of the plan; follow-up visits and the closing message name it.
    public var planRef: RecordReference
    /// 1–12 steps, in order.
    public var steps: [FollowUpStep]

    public init(planRef: RecordReference, steps: [FollowUpStep]) {
        self.planRef = planRef
        self.steps = steps
    }

    /// The plan of `steps`, or the wire's rule they break (1/RBP §7.3.2: counts, ranges, order, at most 100
    /// visits).
    public var plan: FollowUpPlan {
        get throws(FollowUpPlanError) { try FollowUpPlan(steps: steps) }
    }

    /// The due date of every planned visit, in order, for a plan that starts on `start` (the discharge date),
    /// or nil for a plan that breaks the rules of `validate(startingOn:at:)` (`FollowUpPlan.schedule`).
    public func dueDates(from start: CalendarDate) -> [CalendarDate]? {
        guard let plan = try? plan,
            let dues = plan.schedule(
                from: start, addingDays: { days, date in date.adding(days: days) },
                addingMonths: { months, date in date.adding(months: months) }),
            dues.allSatisfy({ !$0.isEmpty })
        else { return nil }
        return dues.flatMap { $0 }
    }

    /// The wire's plan rules, so that a body the broker's plan would refuse is refused here too; then every
    /// step must add a visit.
    func validate(startingOn start: CalendarDate, at path: String) throws(BusinessBodyError) {
        do throws(FollowUpPlanError) {
            _ = try plan
        } catch {
            throw .invalid(path: path + "/steps", rule: error.reason)
        }
        try Rule.check(
            dueDates(from: start) != nil, path + "/steps",
            "each step must add at least one visit, each due later than the visits before it")
    }

    private enum CodingKeys: String, CodingKey {
        case planRef, steps
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        planRef = try container.decode(RecordReference.self, forKey: .planRef)
        steps = try container.decode([StepCoding].self, forKey: .steps).map(\.step)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(planRef, forKey: .planRef)
        try container.encode(steps.map(StepCoding.init), forKey: .steps)
    }
}

/// One step in a body, encoded by its shape: `{"within_days": 7}` or `{"every_days": 30, "for_months": 6}`.
private struct StepCoding: Codable {
    let step: FollowUpStep

    init(_ step: FollowUpStep) { self.step = step }

    private enum CodingKeys: String, CodingKey {
        case withinDays, everyDays, forMonths
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let within = try container.decodeIfPresent(Int.self, forKey: .withinDays)
        let every = try container.decodeIfPresent(Int.self, forKey: .everyDays)
        let months = try container.decodeIfPresent(Int.self, forKey: .forMonths)
        switch (within, every, months) {
        case (let days?, nil, nil):
            step = .within(days: days)
        case (nil, let days?, let months?):
            step = .every(days: days, months: months)
        default:
            throw BusinessBodyError.malformed(
                path: BusinessCoding.path(of: decoder),
                problem: "must be either {within_days} or {every_days, for_months}")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch step {
        case .within(let days):
            try container.encode(days, forKey: .withinDays)
        case .every(let days, let months):
            try container.encode(days, forKey: .everyDays)
            try container.encode(months, forKey: .forMonths)
        }
    }
}

/// The part a party plays in a follow-up plan (and who made a follow-up visit).
public enum PartyRole: String, Codable, Sendable, Hashable, CaseIterable {
    case school
    /// 村（居）儿童主任.
    case villageChildDirector = "village-child-director"
    /// 乡镇（街道）儿童督导员.
    case townshipSupervisor = "township-supervisor"
    case socialWorker = "social-worker"
    case familyEducationStation = "family-education-station"
    case healthService = "health-service"
}

/// What a responsible party does in the plan.
public enum FollowUpDuty: String, Codable, Sendable, Hashable, CaseIterable {
    case followupVisits = "followup-visits"
    /// 结对帮扶.
    case pairedSupport = "paired-support"
    case homeVisits = "home-visits"
    case coordination
    case clinicalReview = "clinical-review"
    case familyGuidance = "family-guidance"
}

/// Who does what in a follow-up plan.
public struct ResponsibleParty: Codable, Sendable, Hashable {
    public var role: PartyRole
    /// A node id or a role address (`role:civil-affairs/child-director@350102100201`).
    public var address: PartyAddress
    public var duties: [FollowUpDuty]

    public init(role: PartyRole, address: PartyAddress, duties: [FollowUpDuty]) {
        self.role = role
        self.address = address
        self.duties = duties
    }
}
