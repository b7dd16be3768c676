import ReferralProtocol

/// The business message kinds of protocols/business/README.md ("Business messages, version 1"), by their wire
/// names (the `kind` of a SEND header). Each has one body type (`bodyType`) and one JSON Schema
/// (`protocols/business/schemas/<kind>.schema.json`).
public enum BusinessKind: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case referralRequest = "referral.request"
    case referralReceived = "referral.received"
    case referralAccepted = "referral.accepted"
    case referralDeclined = "referral.declined"
    case referralAppointment = "referral.appointment"
    case referralNoShow = "referral.no-show"
    case referralInterim = "referral.interim"
    case referralCompleted = "referral.completed"
    case referralCancelled = "referral.cancelled"
    case dischargeNotice = "discharge.notice"
    case followUpVisit = "followup.visit"
    case followUpClosed = "followup.closed"
    case crisisAlert = "crisis.alert"
    case crisisAcknowledged = "crisis.acknowledged"
    case escalationNotice = "escalation.notice"

    /// The wire name, e.g. `referral.no-show`.
    public var wireName: String { rawValue }
    public var description: String { rawValue }

    /// Whether a message of this kind must carry a case id in its header. Every kind but `crisis.alert`
    /// and `crisis.acknowledged` does (an acknowledgment carries the alert's case, and none when the
    /// alert had none); an `escalation.notice` about a crisis alert that had no case has none either
    /// (see `BusinessBody.requiresCase`).
    public var requiresCase: Bool { self != .crisisAlert && self != .crisisAcknowledged }

    /// The Swift type of the body.
    public var bodyType: any BusinessBody.Type {
        switch self {
        case .referralRequest: ReferralRequest.self
        case .referralReceived: ReferralReceived.self
        case .referralAccepted: ReferralAccepted.self
        case .referralDeclined: ReferralDeclined.self
        case .referralAppointment: ReferralAppointment.self
        case .referralNoShow: ReferralNoShow.self
        case .referralInterim: ReferralInterim.self
        case .referralCompleted: ReferralCompleted.self
        case .referralCancelled: ReferralCancelled.self
        case .dischargeNotice: DischargeNotice.self
        case .followUpVisit: FollowUpVisit.self
        case .followUpClosed: FollowUpClosed.self
        case .crisisAlert: CrisisAlert.self
        case .crisisAcknowledged: CrisisAcknowledged.self
        case .escalationNotice: EscalationNotice.self
        }
    }
}
