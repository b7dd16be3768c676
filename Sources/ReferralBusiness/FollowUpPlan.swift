import ReferralProtocol

/// The visits a discharge notice asks for, counted from the discharge date: for example first contact within
/// 7 days, the second within 30, then every 30 days for 6 months.
public struct FollowUpPlan: Codable, Sendable, Hashable {
    /// The hospital's reference of the plan; follow-up visits and the closing message name it.
    public var planRef: RecordReference
    /// 1–12 steps, in order.
    public var steps: [FollowUpStep]

    public init(planRef: RecordReference, steps: [FollowUpStep]) {
        self.planRef = planRef
        self.steps = steps
    }

    /// The due date of every planned visit, in order, for a plan that starts on `start` (the discharge
    /// date), or nil for a plan that breaks the rules of `validate(at:)`.
    ///
    /// A `within(days:)` step is one visit due `days` after `start`, later than every visit before it. An
    /// `every(days:months:)` step is visits due every `days` days after the previous due date (or `start`),
    /// as long as they fall on or before the date `months` calendar months after that previous due date.
    public func dueDates(from start: CalendarDate) -> [CalendarDate]? {
        var dates: [CalendarDate] = []
        for step in steps {
            let previous = dates.last ?? start
            switch step {
            case .within(let days):
                guard let due = start.adding(days: days), due > previous else { return nil }
                dates.append(due)
            case .every(let days, let months):
                guard let end = previous.adding(months: months) else { return nil }
                var count = 0
                var due = previous.adding(days: days)
                while let next = due, next <= end {
                    dates.append(next)
                    count += 1
                    due = next.adding(days: days)
                }
                if count == 0 { return nil }
            }
        }
        return dates
    }

    /// The steps as the SEND header's `followup` carries them (1/RBP §7.3.2).
    public var wireSteps: [FollowUpHeader.Step] {
        steps.map {
            switch $0 {
            case .within(let days): .within(days: days)
            case .every(let days, let months): .every(days: days, months: months)
            }
        }
    }

    /// The wire's plan rules (`FollowUpHeader.check(steps:)`: counts, ranges, order, at most 100 visits), so
    /// that a body the broker's plan would refuse is refused here too; then every step must add a visit.
    func validate(startingOn start: CalendarDate, at path: String) throws(BusinessBodyError) {
        do {
            try FollowUpHeader.check(steps: wireSteps)
        } catch {
            throw .invalid(path: path + "/steps", rule: error.reason)
        }
        try Rule.check(
            dueDates(from: start) != nil, path + "/steps",
            "each step must add at least one visit, each due later than the visits before it")
    }
}

/// One step of a follow-up plan. Encoded by its shape: `{"within_days": 7}` or
/// `{"every_days": 30, "for_months": 6}`.
public enum FollowUpStep: Codable, Sendable, Hashable {
    /// One visit due within `days` days of the discharge date.
    case within(days: Int)
    /// Visits every `days` days for `months` months after the previous due date.
    case every(days: Int, months: Int)

    private enum CodingKeys: String, CodingKey {
        case withinDays, everyDays, forMonths
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let within = try container.decodeIfPresent(Int.self, forKey: .withinDays)
        let every = try container.decodeIfPresent(Int.self, forKey: .everyDays)
        let months = try container.decodeIfPresent(Int.self, forKey: .forMonths)
        switch (within, every, months) {
        case (let days?, nil, nil):
            self = .within(days: days)
        case (nil, let days?, let months?):
            self = .every(days: days, months: months)
        default:
            throw BusinessBodyError.malformed(
                path: BusinessCoding.path(of: decoder),
                problem: "must be either {within_days} or {every_days, for_months}")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
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
