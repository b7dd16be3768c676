import Foundation
import ReferralProtocol

extension OutgoingMessage {
    /// A message whose body is `body` as JSON, with its business kind (`Body.kind`).
    ///
    /// Checks before anything is queued: the body's own rules (`validate()`); a case id when the kind needs
    /// one (every kind but `crisis.alert`); the priority when the body decides it (a risk colour: green and
    /// yellow routine, orange urgent, red crisis; a crisis alert: crisis; a closed plan: routine); and that a
    /// discharge notice with a clinical section is not addressed to a role of another agency than health
    /// (node ids cannot be checked here: the sender must address that copy to health services only). The
    /// 1/RBP grammars of `id`, `to` and `caseId` are checked by `ReferralNode.send(_:)`, as for any message.
    /// `followUp`: a discharge notice's plan for the broker (`DischargeNotice.followUpHeader`), checked like
    /// any message's by `ReferralNode.send(_:)`.
    public static func business<Body: BusinessBody>(
        _ body: Body, to: [String], caseId: String?, priority: Priority, id: String = UUID().uuidString,
        followUp: FollowUpHeader? = nil
    ) throws(BusinessBodyError) -> OutgoingMessage {
        let bytes = try BusinessCoding.encode(body)
        try body.checkHeader(to: to, caseId: caseId, priority: priority)
        return OutgoingMessage(
            id: id, to: to, kind: Body.kind.wireName, caseId: caseId, priority: priority, body: bytes,
            followUp: followUp)
    }
}

extension BusinessBody {
    /// The header this body requires: a case id when its kind needs one, the priority it decides, and no role
    /// of another agency than health for a discharge notice with a clinical section.
    func checkHeader(to: [String], caseId: String?, priority: Priority) throws(BusinessBodyError) {
        if requiresCase && caseId == nil { throw .missingCase(Self.kind) }
        if let required = requiredPriority, required != priority {
            throw .priorityMismatch(kind: Self.kind, expected: required)
        }
        if let notice = self as? DischargeNotice, notice.clinical != nil {
            for address in to {
                if let agency = PartyAddress(address)?.roleAgency, agency != "health" {
                    throw .clinicalSectionToNonHealthRecipient(address: address)
                }
            }
        }
    }
}

/// A decoded business body of any of the 15 kinds.
public enum AnyBusinessBody: Sendable, Hashable {
    case referralRequest(ReferralRequest)
    case referralReceived(ReferralReceived)
    case referralAccepted(ReferralAccepted)
    case referralDeclined(ReferralDeclined)
    case referralAppointment(ReferralAppointment)
    case referralNoShow(ReferralNoShow)
    case referralInterim(ReferralInterim)
    case referralCompleted(ReferralCompleted)
    case referralCancelled(ReferralCancelled)
    case dischargeNotice(DischargeNotice)
    case followUpVisit(FollowUpVisit)
    case followUpClosed(FollowUpClosed)
    case crisisAlert(CrisisAlert)
    case crisisAcknowledged(CrisisAcknowledged)
    case escalationNotice(EscalationNotice)

    /// Decodes `body` as the body of `kind` (a wire name), strictly by default (`BusinessCoding.decode`).
    public static func decode(
        kind: String, body: some Collection<UInt8>, strict: Bool = true
    ) throws(BusinessBodyError) -> AnyBusinessBody {
        guard let kind = BusinessKind(rawValue: kind) else { throw .unknownKind(kind) }
        switch kind {
        case .referralRequest:
            return .referralRequest(try BusinessCoding.decode(ReferralRequest.self, from: body, strict: strict))
        case .referralReceived:
            return .referralReceived(try BusinessCoding.decode(ReferralReceived.self, from: body, strict: strict))
        case .referralAccepted:
            return .referralAccepted(try BusinessCoding.decode(ReferralAccepted.self, from: body, strict: strict))
        case .referralDeclined:
            return .referralDeclined(try BusinessCoding.decode(ReferralDeclined.self, from: body, strict: strict))
        case .referralAppointment:
            return .referralAppointment(try BusinessCoding.decode(ReferralAppointment.self, from: body, strict: strict))
        case .referralNoShow:
            return .referralNoShow(try BusinessCoding.decode(ReferralNoShow.self, from: body, strict: strict))
        case .referralInterim:
            return .referralInterim(try BusinessCoding.decode(ReferralInterim.self, from: body, strict: strict))
        case .referralCompleted:
            return .referralCompleted(try BusinessCoding.decode(ReferralCompleted.self, from: body, strict: strict))
        case .referralCancelled:
            return .referralCancelled(try BusinessCoding.decode(ReferralCancelled.self, from: body, strict: strict))
        case .dischargeNotice:
            return .dischargeNotice(try BusinessCoding.decode(DischargeNotice.self, from: body, strict: strict))
        case .followUpVisit:
            return .followUpVisit(try BusinessCoding.decode(FollowUpVisit.self, from: body, strict: strict))
        case .followUpClosed:
            return .followUpClosed(try BusinessCoding.decode(FollowUpClosed.self, from: body, strict: strict))
        case .crisisAlert: return .crisisAlert(try BusinessCoding.decode(CrisisAlert.self, from: body, strict: strict))
        case .crisisAcknowledged:
            return .crisisAcknowledged(try BusinessCoding.decode(CrisisAcknowledged.self, from: body, strict: strict))
        case .escalationNotice:
            return .escalationNotice(try BusinessCoding.decode(EscalationNotice.self, from: body, strict: strict))
        }
    }

    /// The decoded body itself.
    public var body: any BusinessBody {
        switch self {
        case .referralRequest(let body): body
        case .referralReceived(let body): body
        case .referralAccepted(let body): body
        case .referralDeclined(let body): body
        case .referralAppointment(let body): body
        case .referralNoShow(let body): body
        case .referralInterim(let body): body
        case .referralCompleted(let body): body
        case .referralCancelled(let body): body
        case .dischargeNotice(let body): body
        case .followUpVisit(let body): body
        case .followUpClosed(let body): body
        case .crisisAlert(let body): body
        case .crisisAcknowledged(let body): body
        case .escalationNotice(let body): body
        }
    }

    public var kind: BusinessKind {
        switch self {
        case .referralRequest: .referralRequest
        case .referralReceived: .referralReceived
        case .referralAccepted: .referralAccepted
        case .referralDeclined: .referralDeclined
        case .referralAppointment: .referralAppointment
        case .referralNoShow: .referralNoShow
        case .referralInterim: .referralInterim
        case .referralCompleted: .referralCompleted
        case .referralCancelled: .referralCancelled
        case .dischargeNotice: .dischargeNotice
        case .followUpVisit: .followUpVisit
        case .followUpClosed: .followUpClosed
        case .crisisAlert: .crisisAlert
        case .crisisAcknowledged: .crisisAcknowledged
        case .escalationNotice: .escalationNotice
        }
    }
}

extension InboxMessage {
    /// The message's body decoded by its kind (strictly: see `BusinessCoding.decode`).
    public func businessBody() throws(BusinessBodyError) -> AnyBusinessBody {
        try AnyBusinessBody.decode(kind: kind, body: body)
    }
}
