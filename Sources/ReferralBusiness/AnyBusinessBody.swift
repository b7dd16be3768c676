import ReferralProtocol

extension BusinessBody {
    /// The header this body requires: a case id when its kind needs one, the priority it decides, and no role
    /// of another agency than health for a discharge notice with a clinical section.
    public func checkHeader(to: [String], caseId: String?, priority: Priority) throws(BusinessBodyError) {
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

extension AnyBusinessBody {
    /// The sender's check of a message of a business kind, the one place it is written: the body decodes
    /// strictly as its kind's body (its own rules included) and agrees with the header (case, priority,
    /// recipients: `BusinessBody.checkHeader`). The node library runs it in `send` before anything is queued;
    /// a gateway or a test can run it without a node. Throws `unknownKind` for a kind that is not a business kind.
    public static func checkMessage(
        kind: String, body: some Collection<UInt8>, to: [String], caseId: String?, priority: Priority
    ) throws(BusinessBodyError) {
        let decoded = try decode(kind: kind, body: body)
        try decoded.body.checkHeader(to: to, caseId: caseId, priority: priority)
    }
}
