import ReferralProtocol

// The bodies of discharge and follow-up (protocols/business/README.md, "Discharge and follow-up").

/// `discharge.notice`: a hospital tells the child's school, child director or supervisor and social worker
/// that the child is discharged, and starts the follow-up plan. The header priority is `risk.priority`.
///
/// The copy for the school and the civil-affairs parties has no `clinical` section; a hospital that also
/// informs a health service (the clinic that will review the child) sends that service a separate
/// `discharge.notice` in the same case with the same plan and the `clinical` section
/// (`withoutClinicalSection()` gives the other copy).
public struct DischargeNotice: BusinessBody {
    public static let kind = BusinessKind.dischargeNotice

    public var childRef: ChildReference
    public var dischargedOn: CalendarDate
    /// When the child returns to school (or home life).
    public var returnsOn: CalendarDate
    public var risk: RiskColour
    /// Counted from `dischargedOn`.
    public var followupPlan: FollowUpPlanSection
    /// 1–8 parties.
    public var responsible: [ResponsibleParty]
    /// Who receives the visit reports and closes the plan (`followup.closed`).
    public var planOwner: PartyAddress
    /// The hospital's follow-up desk.
    public var contact: Contact
    /// Only for health recipients.
    public var clinical: ClinicalSection?

    public init(
        childRef: ChildReference, dischargedOn: CalendarDate, returnsOn: CalendarDate, risk: RiskColour,
        followupPlan: FollowUpPlanSection, responsible: [ResponsibleParty], planOwner: PartyAddress, contact: Contact,
        clinical: ClinicalSection? = nil
    ) {
        self.childRef = childRef
        self.dischargedOn = dischargedOn
        self.returnsOn = returnsOn
        self.risk = risk
        self.followupPlan = followupPlan
        self.responsible = responsible
        self.planOwner = planOwner
        self.contact = contact
        self.clinical = clinical
    }

    public var requiredPriority: Priority? { risk.priority }

    /// The plan for the SEND header (1/RBP §7.3.2), so that the broker expects the visits: this body's steps,
    /// the parties with the duty `followup-visits` and the plan owner; nil when no party has that duty. Pass it
    /// to `OutgoingMessage.business(_:to:caseId:priority:followUp:)` for ONE copy of the notice, the one whose
    /// recipients include those parties (the broker refuses a plan whose parties are not recipients, and each
    /// copy with a plan would set the visits again).
    public var followUpHeader: FollowUpHeader? {
        let parties = responsible.filter { $0.duties.contains(.followupVisits) }.map(\.address.text)
        guard !parties.isEmpty else { return nil }
        return FollowUpHeader(steps: followupPlan.steps, visitsBy: parties, owner: planOwner.text)
    }

    /// The copy for recipients that are not health services.
    public func withoutClinicalSection() -> DischargeNotice {
        var copy = self
        copy.clinical = nil
        return copy
    }

    /// The due dates of the planned visits (`FollowUpPlanSection.dueDates(from:)` from the discharge date).
    public var visitDueDates: [CalendarDate] { followupPlan.dueDates(from: dischargedOn) ?? [] }

    public func validate() throws(BusinessBodyError) {
        try Rule.check(returnsOn >= dischargedOn, "returns_on", "must not be before discharged_on")
        try followupPlan.validate(startingOn: dischargedOn, at: "followup_plan")
        try Rule.check((1...8).contains(responsible.count), "responsible", "must name 1 to 8 parties")
        for (index, party) in responsible.enumerated() {
            try Rule.nonEmptyUnique(party.duties, "responsible/\(index)/duties")
        }
        if let clinical {
            try Rule.check((1...5).contains(clinical.diagnoses.count), "clinical/diagnoses", "must have 1 to 5 items")
        }
    }
}

/// What only health recipients of a discharge notice get.
public struct ClinicalSection: Codable, Sendable, Hashable {
    public var diagnoses: [Diagnosis]
    public var onMedication: Bool
    /// When the child's treatment should next be reviewed.
    public var reviewBy: CalendarDate?
    /// At most 2000 characters.
    public var summary: String?

    public init(diagnoses: [Diagnosis], onMedication: Bool, reviewBy: CalendarDate? = nil, summary: String? = nil) {
        self.diagnoses = diagnoses
        self.onMedication = onMedication
        self.reviewBy = reviewBy
        self.summary = summary
    }
}

/// A coded diagnosis.
public struct Diagnosis: Codable, Sendable, Hashable {
    public var system: DiagnosisSystem
    /// E.g. `F43.2`.
    public var code: String

    public init(system: DiagnosisSystem, code: String) {
        self.system = system
        self.code = code
    }
}

public enum DiagnosisSystem: String, Codable, Sendable, Hashable, CaseIterable {
    case icd10 = "ICD-10"
    case icd11 = "ICD-11"
}

/// `followup.visit`: a responsible party reports visit `visitNumber` of `visitsPlanned`. The header priority is
/// `risk.priority`; a red visit also needs a `crisis.alert`, and says so in `nextSteps`.
public struct FollowUpVisit: BusinessBody {
    public static let kind = BusinessKind.followUpVisit

    public var planRef: RecordReference
    public var visitNumber: Int
    public var visitsPlanned: Int
    public var visitedOn: CalendarDate
    public var visitorRole: PartyRole
    public var mode: VisitMode
    public var risk: RiskColour
    /// May be empty (no concern); none repeated.
    public var concerns: [VisitConcern]
    /// At least one; none repeated.
    public var nextSteps: [VisitNextStep]
    /// At most 500 characters; no names.
    public var note: String?

    public init(
        planRef: RecordReference, visitNumber: Int, visitsPlanned: Int, visitedOn: CalendarDate,
        visitorRole: PartyRole, mode: VisitMode, risk: RiskColour, concerns: [VisitConcern],
        nextSteps: [VisitNextStep], note: String? = nil
    ) {
        self.planRef = planRef
        self.visitNumber = visitNumber
        self.visitsPlanned = visitsPlanned
        self.visitedOn = visitedOn
        self.visitorRole = visitorRole
        self.mode = mode
        self.risk = risk
        self.concerns = concerns
        self.nextSteps = nextSteps
        self.note = note
    }

    public var requiredPriority: Priority? { risk.priority }

    public func validate() throws(BusinessBodyError) {
        try Rule.check((1...100).contains(visitsPlanned), "visits_planned", "must be 1 to 100")
        try Rule.check((1...visitsPlanned).contains(visitNumber), "visit_number", "must be 1 to visits_planned")
        try Rule.unique(concerns, "concerns")
        try Rule.nonEmptyUnique(nextSteps, "next_steps")
        try Rule.check(
            risk != .red || nextSteps.contains(.crisisAlertSent), "next_steps",
            "must include crisis-alert-sent when the risk is red")
    }
}

public enum VisitMode: String, Codable, Sendable, Hashable, CaseIterable {
    case homeVisit = "home-visit"
    case schoolMeeting = "school-meeting"
    case phone
    case video
}

/// What a visitor is worried about.
public enum VisitConcern: String, Codable, Sendable, Hashable, CaseIterable {
    case lowMood = "low-mood"
    case anxiety
    case withdrawal
    case selfHarmSigns = "self-harm-signs"
    case suicidalTalk = "suicidal-talk"
    case schoolAbsence = "school-absence"
    case academicDecline = "academic-decline"
    case peerConflict = "peer-conflict"
    case bullying
    case familyConflict = "family-conflict"
    case guardianAbsent = "guardian-absent"
    case medicationNotTaken = "medication-not-taken"
    case substanceUse = "substance-use"
    case sleepProblems = "sleep-problems"
    case other
}

/// What happens after a visit.
public enum VisitNextStep: String, Codable, Sendable, Hashable, CaseIterable {
    case continuePlan = "continue-plan"
    case moreFrequentVisits = "more-frequent-visits"
    case clinicalReviewRequested = "clinical-review-requested"
    case familySupport = "family-support"
    case schoolSupport = "school-support"
    case homeVisitRequested = "home-visit-requested"
    case crisisAlertSent = "crisis-alert-sent"
    case closePlanProposed = "close-plan-proposed"
}

/// `followup.closed`: the plan owner ends a follow-up plan; the broker stops its follow-up deadlines.
public struct FollowUpClosed: BusinessBody {
    public static let kind = BusinessKind.followUpClosed

    public var planRef: RecordReference
    public var reason: ClosureReason
    public var closedOn: CalendarDate
    public var visitsMade: Int
    /// Who takes the plan over: present exactly when `reason` is `.transferred`.
    public var transferredTo: PartyAddress?
    /// Required when `reason` is `.other`.
    public var note: String?

    public init(
        planRef: RecordReference, reason: ClosureReason, closedOn: CalendarDate, visitsMade: Int,
        transferredTo: PartyAddress? = nil, note: String? = nil
    ) {
        self.planRef = planRef
        self.reason = reason
        self.closedOn = closedOn
        self.visitsMade = visitsMade
        self.transferredTo = transferredTo
        self.note = note
    }

    /// Always routine: closing a plan is never urgent (a danger found on the way has its own crisis alert).
    public var requiredPriority: Priority? { .routine }

    public func validate() throws(BusinessBodyError) {
        try Rule.check((0...100).contains(visitsMade), "visits_made", "must be 0 to 100")
        try Rule.check(
            (reason == .transferred) == (transferredTo != nil), "transferred_to",
            "is required when the reason is transferred and not allowed otherwise")
        try Rule.check(reason != .other || note != nil, "note", "is required when the reason is other")
    }
}

/// Why a follow-up plan ends.
public enum ClosureReason: String, Codable, Sendable, Hashable, CaseIterable {
    case planCompleted = "plan-completed"
    case readmitted
    case movedAway = "moved-away"
    case transferred
    case lostToContact = "lost-to-contact"
    case consentWithdrawn = "consent-withdrawn"
    case other
}
