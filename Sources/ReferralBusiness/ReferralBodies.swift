import ReferralProtocol

// The bodies of the referral loop (protocols/business/README.md, "The referral loop").

/// `referral.request`: a referrer asks a mental-health service to take a child. Opens the case (status
/// `requested`), or re-routes it after a decline. The header priority is `risk.priority`.
public struct ReferralRequest: BusinessBody {
    public static let kind = BusinessKind.referralRequest

    public var childRef: ChildReference
    public var ageBand: AgeBand
    public var risk: RiskColour
    /// 1–6 reasons, none repeated.
    public var reasons: [ReferralReason]
    /// The date by which the child should have been seen.
    public var neededBy: CalendarDate
    public var lawfulBasis: LawfulBasis
    /// The referrer's desk: the service arranges the first contact with the family through it.
    public var referrerContact: Contact
    public var requestedService: RequestedService?
    /// The child's home village or township, so that the service can copy its child director on
    /// appointments and missed appointments.
    public var residenceDivision: DivisionCode?
    public var screening: Screening?
    /// A minimum-necessary note: no names, ID numbers, addresses or phone numbers; at most 500 characters.
    public var summary: String?

    public init(
        childRef: ChildReference, ageBand: AgeBand, risk: RiskColour, reasons: [ReferralReason],
        neededBy: CalendarDate, lawfulBasis: LawfulBasis, referrerContact: Contact,
        requestedService: RequestedService? = nil, residenceDivision: DivisionCode? = nil,
        screening: Screening? = nil, summary: String? = nil
    ) {
        self.childRef = childRef
        self.ageBand = ageBand
        self.risk = risk
        self.reasons = reasons
        self.neededBy = neededBy
        self.lawfulBasis = lawfulBasis
        self.referrerContact = referrerContact
        self.requestedService = requestedService
        self.residenceDivision = residenceDivision
        self.screening = screening
        self.summary = summary
    }

    public var requiredPriority: Priority? { risk.priority }

    public func validate() throws(BusinessBodyError) {
        try Rule.nonEmptyUnique(reasons, "reasons")
        try Rule.check(reasons.count <= 6, "reasons", "must have at most 6 items")
        try lawfulBasis.validate(ageBand: ageBand, at: "lawful_basis")
        if let screening {
            try Rule.check((0...1000).contains(screening.score), "screening/score", "must be 0 to 1000")
        }
    }
}

/// A screening result behind a referral.
public struct Screening: Codable, Sendable, Hashable {
    /// The instrument's short name (at most 32 characters).
    public var instrument: String
    public var score: Int
    public var screenedOn: CalendarDate

    public init(instrument: String, score: Int, screenedOn: CalendarDate) {
        self.instrument = instrument
        self.score = score
        self.screenedOn = screenedOn
    }
}

/// Why a child is referred.
public enum ReferralReason: String, Codable, Sendable, Hashable, CaseIterable {
    case screeningPositive = "screening-positive"
    case lowMood = "low-mood"
    case anxiety
    case selfHarm = "self-harm"
    case suicidalIdeation = "suicidal-ideation"
    case behaviourProblems = "behaviour-problems"
    case schoolRefusal = "school-refusal"
    case traumaOrAbuse = "trauma-or-abuse"
    case familyCrisis = "family-crisis"
    case developmentalConcern = "developmental-concern"
    case substanceUse = "substance-use"
    case eatingConcern = "eating-concern"
    case sleepProblems = "sleep-problems"
    case other
}

/// What the referrer asks the service for.
public enum RequestedService: String, Codable, Sendable, Hashable, CaseIterable {
    case assessment
    case assessmentAndTreatment = "assessment-and-treatment"
    case counselling
    case secondOpinion = "second-opinion"
}

/// `referral.received`: the service has the referral and is evaluating it (status `received`).
public struct ReferralReceived: BusinessBody {
    public static let kind = BusinessKind.referralReceived

    /// By when the service will accept or decline.
    public var decisionBy: CalendarDate
    /// The service's own number for the referral.
    public var serviceRef: RecordReference?

    public init(decisionBy: CalendarDate, serviceRef: RecordReference? = nil) {
        self.decisionBy = decisionBy
        self.serviceRef = serviceRef
    }
}

/// `referral.accepted`: the service will take the child (status `accepted`).
public struct ReferralAccepted: BusinessBody {
    public static let kind = BusinessKind.referralAccepted

    /// By when the service will first contact the family (through the referrer's desk).
    public var firstContactBy: CalendarDate
    /// Whom the referrer talks to at the service.
    public var contact: Contact
    public var serviceRef: RecordReference?
    public var note: String?

    public init(firstContactBy: CalendarDate, contact: Contact, serviceRef: RecordReference? = nil, note: String? = nil)
    {
        self.firstContactBy = firstContactBy
        self.contact = contact
        self.serviceRef = serviceRef
        self.note = note
    }
}

/// `referral.declined`: the service will not take the child (status `rejected`); the referrer may re-route.
public struct ReferralDeclined: BusinessBody {
    public static let kind = BusinessKind.referralDeclined

    public var reason: DeclineReason
    /// Where the referrer might send the referral instead, usually a role address.
    public var suggestedService: PartyAddress?
    /// Required when `reason` is `.other`.
    public var note: String?

    public init(reason: DeclineReason, suggestedService: PartyAddress? = nil, note: String? = nil) {
        self.reason = reason
        self.suggestedService = suggestedService
        self.note = note
    }

    public func validate() throws(BusinessBodyError) {
        try Rule.check(reason != .other || note != nil, "note", "is required when the reason is other")
    }
}

/// Why a service declines.
public enum DeclineReason: String, Codable, Sendable, Hashable, CaseIterable {
    case outsideServiceScope = "outside-service-scope"
    case outsideAgeRange = "outside-age-range"
    case outsideCatchmentArea = "outside-catchment-area"
    case noCapacity = "no-capacity"
    case needsHigherLevelCare = "needs-higher-level-care"
    case needsEmergencyCare = "needs-emergency-care"
    case insufficientInformation = "insufficient-information"
    case duplicateReferral = "duplicate-referral"
    case other
}

/// `referral.appointment`: an appointment is booked or moved (status `in-progress`).
public struct ReferralAppointment: BusinessBody {
    public static let kind = BusinessKind.referralAppointment

    public var change: AppointmentChange
    public var appointmentAt: Timestamp
    /// The time it replaces: present exactly when `change` is `.rescheduled`.
    public var previousAppointmentAt: Timestamp?
    /// Where (the service's premises, at most 120 characters).
    public var location: String
    public var contact: Contact?
    public var note: String?

    public init(
        change: AppointmentChange, appointmentAt: Timestamp, previousAppointmentAt: Timestamp? = nil,
        location: String, contact: Contact? = nil, note: String? = nil
    ) {
        self.change = change
        self.appointmentAt = appointmentAt
        self.previousAppointmentAt = previousAppointmentAt
        self.location = location
        self.contact = contact
        self.note = note
    }

    public func validate() throws(BusinessBodyError) {
        try Rule.check(
            (change == .rescheduled) == (previousAppointmentAt != nil), "previous_appointment_at",
            "is required for a rescheduled appointment and not allowed for a new one")
    }
}

public enum AppointmentChange: String, Codable, Sendable, Hashable, CaseIterable {
    case booked
    case rescheduled
}

/// `referral.no-show`: the child missed an appointment (status `on-hold`).
public struct ReferralNoShow: BusinessBody {
    public static let kind = BusinessKind.referralNoShow

    public var appointmentAt: Timestamp
    /// How many appointments of this referral have been missed, this one included (1–20).
    public var missedCount: Int
    public var nextStep: NoShowNextStep
    /// By when the referrer should answer: required unless `nextStep` is `.rebook`.
    public var respondBy: CalendarDate?
    public var note: String?

    public init(
        appointmentAt: Timestamp, missedCount: Int, nextStep: NoShowNextStep, respondBy: CalendarDate? = nil,
        note: String? = nil
    ) {
        self.appointmentAt = appointmentAt
        self.missedCount = missedCount
        self.nextStep = nextStep
        self.respondBy = respondBy
        self.note = note
    }

    public func validate() throws(BusinessBodyError) {
        try Rule.check((1...20).contains(missedCount), "missed_count", "must be 1 to 20")
        try Rule.check(
            nextStep == .rebook || respondBy != nil, "respond_by", "is required unless the next step is rebook")
    }
}

/// What the service does after a missed appointment.
public enum NoShowNextStep: String, Codable, Sendable, Hashable, CaseIterable {
    /// The service offers another appointment itself.
    case rebook
    /// The service asks the referrer (and the child director) to contact the family.
    case contactFamilyRequested = "contact-family-requested"
    /// The service will close the referral if nobody answers by `respond_by`.
    case closingIfNoContact = "closing-if-no-contact"
}

/// `referral.interim`: a note while care goes on (`accepted` → `in-progress`; otherwise unchanged).
public struct ReferralInterim: BusinessBody {
    public static let kind = BusinessKind.referralInterim

    /// Written for the referrer: no diagnosis unless the referrer is a health service; at most 1000 characters.
    public var summary: String
    public var nextUpdateBy: CalendarDate?

    public init(summary: String, nextUpdateBy: CalendarDate? = nil) {
        self.summary = summary
        self.nextUpdateBy = nextUpdateBy
    }
}

/// `referral.completed`: the service closes the loop with an outcome (status `completed`).
public struct ReferralCompleted: BusinessBody {
    public static let kind = BusinessKind.referralCompleted

    public var outcome: ReferralOutcome
    public var completedOn: CalendarDate
    /// What the service recommends to the referrer, none repeated.
    public var recommendations: [Recommendation]?
    /// The service the child was referred on to: present exactly when `outcome` is `.referredOnward`.
    public var referredTo: PartyAddress?
    /// Required when `outcome` is `.other`. No diagnosis.
    public var note: String?

    public init(
        outcome: ReferralOutcome, completedOn: CalendarDate, recommendations: [Recommendation]? = nil,
        referredTo: PartyAddress? = nil, note: String? = nil
    ) {
        self.outcome = outcome
        self.completedOn = completedOn
        self.recommendations = recommendations
        self.referredTo = referredTo
        self.note = note
    }

    public func validate() throws(BusinessBodyError) {
        if let recommendations { try Rule.nonEmptyUnique(recommendations, "recommendations") }
        try Rule.check(
            (outcome == .referredOnward) == (referredTo != nil), "referred_to",
            "is required when the outcome is referred-onward and not allowed otherwise")
        try Rule.check(outcome != .other || note != nil, "note", "is required when the outcome is other")
    }
}

/// How a referral ended.
public enum ReferralOutcome: String, Codable, Sendable, Hashable, CaseIterable {
    case assessedNoCareNeeded = "assessed-no-care-needed"
    case communitySupportRecommended = "community-support-recommended"
    case outpatientCare = "outpatient-care"
    /// Admitted as an inpatient; a `discharge.notice` follows in the same case.
    case admitted
    case referredOnward = "referred-onward"
    case notAttended = "not-attended"
    case familyDeclined = "family-declined"
    case unableToContact = "unable-to-contact"
    case childMoved = "child-moved"
    case other

    /// Whether the child received the care the referral sought (false: the referral failed in substance).
    public var careProvided: Bool {
        switch self {
        case .assessedNoCareNeeded, .communitySupportRecommended, .outpatientCare, .admitted, .referredOnward: true
        case .notAttended, .familyDeclined, .unableToContact, .childMoved, .other: false
        }
    }
}

/// What a service recommends to the referrer.
public enum Recommendation: String, Codable, Sendable, Hashable, CaseIterable {
    case schoolSupport = "school-support"
    case classTeacherAttention = "class-teacher-attention"
    case homeVisits = "home-visits"
    case familyGuidance = "family-guidance"
    case followupByService = "followup-by-service"
    case noFurtherAction = "no-further-action"
}

/// `referral.cancelled`: the referrer withdraws the referral (status `cancelled`).
public struct ReferralCancelled: BusinessBody {
    public static let kind = BusinessKind.referralCancelled

    public var reason: CancelReason
    /// Required when `reason` is `.other`.
    public var note: String?

    public init(reason: CancelReason, note: String? = nil) {
        self.reason = reason
        self.note = note
    }

    public func validate() throws(BusinessBodyError) {
        try Rule.check(reason != .other || note != nil, "note", "is required when the reason is other")
    }
}

/// Why a referrer cancels.
public enum CancelReason: String, Codable, Sendable, Hashable, CaseIterable {
    case noLongerNeeded = "no-longer-needed"
    case referredElsewhere = "referred-elsewhere"
    /// The guardian or the child withdrew consent (PIPL Art. 15).
    case consentWithdrawn = "consent-withdrawn"
    case childMoved = "child-moved"
    case duplicate
    case enteredInError = "entered-in-error"
    case other
}
