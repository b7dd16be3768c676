import ReferralProtocol

// crisis.alert and escalation.notice (protocols/business/README.md).

/// `crisis.alert`: immediate danger to a child, sent at once to the police, civil affairs, education and the
/// hotline. Always priority crisis. The case id is optional: a reporter without a case (a hotline call) does
/// not wait to open one.
public struct CrisisAlert: BusinessBody {
    public static let kind = BusinessKind.crisisAlert

    /// 1–5 categories, none repeated.
    public var dangers: [DangerCategory]
    /// Whether the danger is present now.
    public var ongoingDanger: Bool
    /// Where the child is: village, township or county code.
    public var locationDivision: DivisionCode
    /// Only what responders need to get there now; at most 200 characters.
    public var locationDetail: String?
    /// What was done already; `.noneYet` alone or other actions.
    public var immediateActions: [ImmediateAction]
    /// Whether this alert is the sender's mandatory report (Minors Protection Law Art. 11).
    public var mandatoryReport: Bool
    public var observedAt: Timestamp
    /// Whom responders call back.
    public var reporterContact: Contact
    public var childRef: ChildReference?
    public var ageBand: AgeBand?
    /// At most 500 characters.
    public var summary: String?

    public init(
        dangers: [DangerCategory], ongoingDanger: Bool, locationDivision: DivisionCode, locationDetail: String? = nil,
        immediateActions: [ImmediateAction], mandatoryReport: Bool, observedAt: Timestamp, reporterContact: Contact,
        childRef: ChildReference? = nil, ageBand: AgeBand? = nil, summary: String? = nil
    ) {
        self.dangers = dangers
        self.ongoingDanger = ongoingDanger
        self.locationDivision = locationDivision
        self.locationDetail = locationDetail
        self.immediateActions = immediateActions
        self.mandatoryReport = mandatoryReport
        self.observedAt = observedAt
        self.reporterContact = reporterContact
        self.childRef = childRef
        self.ageBand = ageBand
        self.summary = summary
    }

    public var requiredPriority: Priority? { .crisis }

    public func validate() throws(BusinessBodyError) {
        try Rule.nonEmptyUnique(dangers, "dangers")
        try Rule.check(dangers.count <= 5, "dangers", "must have at most 5 items")
        try Rule.nonEmptyUnique(immediateActions, "immediate_actions")
        try Rule.check(
            !immediateActions.contains(.noneYet) || immediateActions.count == 1, "immediate_actions",
            "none-yet must stand alone")
    }
}

/// The danger a crisis alert reports (after the categories of the 2020 mandatory-reporting opinion).
public enum DangerCategory: String, Codable, Sendable, Hashable, CaseIterable {
    case suicideAttempt = "suicide-attempt"
    case suicideRisk = "suicide-risk"
    case selfHarm = "self-harm"
    case sexualAbuse = "sexual-abuse"
    case physicalAbuse = "physical-abuse"
    case domesticViolence = "domestic-violence"
    case bullyingInjury = "bullying-injury"
    case neglectOrAbandonment = "neglect-or-abandonment"
    case missingOrTrafficked = "missing-or-trafficked"
    case organisedBegging = "organised-begging"
    case otherSeriousHarm = "other-serious-harm"
}

/// What the reporter has done already.
public enum ImmediateAction: String, Codable, Sendable, Hashable, CaseIterable {
    case noneYet = "none-yet"
    case childWithSafeAdult = "child-with-safe-adult"
    case guardianInformed = "guardian-informed"
    case emergency120Called = "emergency-120-called"
    case police110Called = "police-110-called"
    case takenToHospital = "taken-to-hospital"
    case removedFromDanger = "removed-from-danger"
    case hotlineCounselling = "hotline-counselling"
}

/// `escalation.notice`: sent by the broker to the next level of an escalation chain. Names the case, the
/// overdue item, the level, the original deadline and the chain so far; nothing about the child.
public struct EscalationNotice: BusinessBody {
    public static let kind = BusinessKind.escalationNotice

    /// Absent only when the overdue item is a crisis alert sent without a case.
    public var caseId: String?
    public var overdue: OverdueItem
    /// The level of the chain told: 1 for the first level above the party that is late; a reminder at the top
    /// of the climb repeats the top level.
    public var level: Int
    /// The deadline that passed, as set when the wait began.
    public var deadline: Timestamp
    public var escalatedAt: Timestamp
    /// The earlier levels of this escalation, in order (empty at level 1).
    public var chain: [EscalationStep]
    /// When the next step is due if nothing happens: the next level, or a reminder at the top of the climb.
    public var nextEscalationAt: Timestamp?

    public init(
        caseId: String?, overdue: OverdueItem, level: Int, deadline: Timestamp, escalatedAt: Timestamp,
        chain: [EscalationStep], nextEscalationAt: Timestamp? = nil
    ) {
        self.caseId = caseId
        self.overdue = overdue
        self.level = level
        self.deadline = deadline
        self.escalatedAt = escalatedAt
        self.chain = chain
        self.nextEscalationAt = nextEscalationAt
    }

    public var requiresCase: Bool { overdue.kind != .crisisAlert }

    public func validate() throws(BusinessBodyError) {
        if let caseId {
            try Rule.check(Identifiers.normalizedCaseId(caseId) == caseId, "case_id", "must be a lowercase UUID")
        } else {
            try Rule.check(!requiresCase, "case_id", "is required unless the overdue item is a crisis alert")
        }
        try Rule.check(Identifiers.isValidNodeId(overdue.message.from), "overdue/message/from", "must be a node id")
        try Rule.check(Identifiers.isValidMessageId(overdue.message.id), "overdue/message/id", "must be a message id")
        try Rule.check(Identifiers.isValidNodeId(overdue.party), "overdue/party", "must be a node id")
        if overdue.awaiting == .followupVisit {
            try Rule.check(
                overdue.kind == .dischargeNotice, "overdue/kind", "must be discharge.notice for a follow-up visit")
            try Rule.check(
                overdue.visitNumber.map { (1...100).contains($0) } == true, "overdue/visit_number",
                "is required (1 to 100) for a follow-up visit")
        } else {
            try Rule.check(overdue.visitNumber == nil, "overdue/visit_number", "is only for a follow-up visit")
        }
        try Rule.check((1...10).contains(level), "level", "must be 1 to 10")
        try Rule.check(chain.count <= 9, "chain", "must have at most 9 steps")
        var previous = 0
        for (index, step) in chain.enumerated() {
            try Rule.check(
                step.level > previous && step.level < level, "chain/\(index)/level",
                "must increase and stay below the notice's level")
            previous = step.level
            try Rule.nonEmptyUnique(step.notified, "chain/\(index)/notified")
            try Rule.check(step.notified.count <= 64, "chain/\(index)/notified", "must have at most 64 nodes")
            try Rule.check(
                step.notified.allSatisfy(Identifiers.isValidNodeId), "chain/\(index)/notified", "must hold node ids")
        }
    }
}

/// What is overdue.
public struct OverdueItem: Codable, Sendable, Hashable {
    public var awaiting: AwaitedItem
    /// The kind of the message the wait began with (`discharge.notice` for a follow-up visit).
    public var kind: BusinessKind
    public var message: MessageReference
    /// The node that has not acted.
    public var party: String
    /// For a follow-up visit: which one.
    public var visitNumber: Int?

    public init(
        awaiting: AwaitedItem, kind: BusinessKind, message: MessageReference, party: String, visitNumber: Int? = nil
    ) {
        self.awaiting = awaiting
        self.kind = kind
        self.message = message
        self.party = party
        self.visitNumber = visitNumber
    }
}

/// What the broker was waiting for.
public enum AwaitedItem: String, Codable, Sendable, Hashable, CaseIterable {
    /// The recipient's system has not stored (ACKed) the message.
    case delivery
    /// The business answer (a referral request's received, accepted or declined).
    case answer
    /// A party's acknowledgment of a crisis alert.
    case acknowledgment
    /// A planned follow-up visit.
    case followupVisit = "followup-visit"
}

/// A message by its sender and the sender's message id (never its content).
public struct MessageReference: Codable, Sendable, Hashable {
    public var from: String
    public var id: String

    public init(from: String, id: String) {
        self.from = from
        self.id = id
    }
}

/// One earlier level of an escalation.
public struct EscalationStep: Codable, Sendable, Hashable {
    public var level: Int
    /// The node ids told at that level.
    public var notified: [String]
    public var at: Timestamp

    public init(level: Int, notified: [String], at: Timestamp) {
        self.level = level
        self.notified = notified
        self.at = at
    }
}

/// `crisis.acknowledged`: a party that received a crisis alert says that a person has taken it up and what it
/// does. It goes back to the alert's sender, in the alert's case (none when the alert had none), at priority
/// crisis; the broker counts it as that party's acknowledgment and stops that party's escalation only
/// (1/RBP §7.3, deadlines and escalation).
public struct CrisisAcknowledged: BusinessBody {
    public static let kind = BusinessKind.crisisAcknowledged

    /// The alert as the acknowledging party files it, if it has a reference for it.
    public var alertRef: RecordReference?
    public var acknowledgedAt: Timestamp
    public var response: CrisisResponse
    /// Whom the reporter or the other parties call about the response.
    public var responderContact: Contact
    /// At most 500 characters.
    public var note: String?

    public init(
        alertRef: RecordReference? = nil, acknowledgedAt: Timestamp, response: CrisisResponse,
        responderContact: Contact, note: String? = nil
    ) {
        self.alertRef = alertRef
        self.acknowledgedAt = acknowledgedAt
        self.response = response
        self.responderContact = responderContact
        self.note = note
    }

    public var requiredPriority: Priority? { .crisis }

    public func validate() throws(BusinessBodyError) {
        try Rule.check((note?.count ?? 0) <= 500, "note", "must be at most 500 characters")
    }
}

/// What the acknowledging party does about a crisis alert.
public enum CrisisResponse: String, Codable, Sendable, Hashable, CaseIterable {
    case respondingNow = "responding-now"
    case contactingReporter = "contacting-reporter"
    case alreadyOnScene = "already-on-scene"
    case passedToCompetentUnit = "passed-to-competent-unit"
    case monitoring
}
