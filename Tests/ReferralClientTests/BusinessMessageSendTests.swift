import Foundation
import ReferralProtocol
import Testing

@testable import ReferralBusiness
@testable import ReferralClient

/// `OutgoingMessage.business` and `InboxMessage.businessBody()`: the node library's doors to ReferralBusiness
/// (the bodies themselves are tested in ReferralBusinessTests).
@Suite struct BusinessMessageSendTests {
    static func example(_ kind: BusinessKind, _ expectation: String) throws -> Data {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../protocols/business/examples/\(kind.wireName).\(expectation).json"
        ).standardizedFileURL.path
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func strict<Body: BusinessBody>(_ type: Body.Type, _ data: Data) throws -> Body {
        try BusinessCoding.decode(Body.self, from: data)
    }

    static func tree(_ data: Data) throws -> JSONTree { try JSONDecoder().decode(JSONTree.self, from: data) }

    /// The header plan goes with the message it is attached to.
    @Test func dischargeNoticeCarriesItsHeaderPlan() throws {
        let notice = try Self.strict(DischargeNotice.self, Self.example(.dischargeNotice, "valid"))
        let plan = try #require(notice.followUpHeader)
        let message = try OutgoingMessage.business(
            notice.withoutClinicalSection(), to: ["test-a", "role:civil-affairs/child-director@350102100201"],
            caseId: Self.caseId, priority: .routine, followUp: plan)
        #expect(message.followUp == plan)
    }

    // MARK: - OutgoingMessage.business

    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    @Test func outgoingMessageCarriesTheKindAndTheEncodedBody() throws {
        let request = try Self.strict(ReferralRequest.self, Self.example(.referralRequest, "valid"))
        let message = try OutgoingMessage.business(
            request, to: ["role:health/child-psychology-clinic@350102001"], caseId: Self.caseId, priority: .urgent,
            id: "test-a:000001")
        #expect(message.kind == "referral.request")
        #expect(message.caseId == Self.caseId)
        #expect(message.priority == .urgent)
        #expect(message.id == "test-a:000001")
        #expect(try BusinessCoding.decode(ReferralRequest.self, from: message.body) == request)
        #expect(try Self.tree(Data(message.body)) == (try Self.tree(Self.example(.referralRequest, "valid"))))
        let received = try validated(kind: "referral.request", body: message.body)
        #expect(received == .referralRequest(request))
    }

    private func validated(kind: String, body: [UInt8]) throws -> AnyBusinessBody {
        let inbox = InboxMessage(
            seq: 1, id: "test-a:000001", from: "test-a", to: ["test-b"], kind: kind, caseId: Self.caseId,
            priority: .urgent, acceptedAt: 0, receivedAt: 0, body: body)
        return try inbox.businessBody()
    }

    @Test func outgoingMessageChecksCaseAndPriority() throws {
        let request = try Self.strict(ReferralRequest.self, Self.example(.referralRequest, "valid"))
        #expect(throws: BusinessBodyError.missingCase(.referralRequest)) {
            try OutgoingMessage.business(request, to: ["test-b"], caseId: nil, priority: .urgent)
        }
        #expect(throws: BusinessBodyError.priorityMismatch(kind: .referralRequest, expected: .urgent)) {
            try OutgoingMessage.business(request, to: ["test-b"], caseId: Self.caseId, priority: .routine)
        }
        var invalid = request
        invalid.reasons = []
        #expect(throws: BusinessBodyError.invalid(path: "reasons", rule: "must not be empty")) {
            try OutgoingMessage.business(invalid, to: ["test-b"], caseId: Self.caseId, priority: .urgent)
        }
        // An answer takes the case's priority, whatever it is.
        let received = try Self.strict(ReferralReceived.self, Self.example(.referralReceived, "valid"))
        #expect(
            try OutgoingMessage.business(received, to: ["test-a"], caseId: Self.caseId, priority: .urgent).priority
                == .urgent)
        // A crisis alert needs no case, but must be crisis.
        let alert = try Self.strict(CrisisAlert.self, Self.example(.crisisAlert, "valid"))
        let police = "role:public-security/*@350102"
        #expect(try OutgoingMessage.business(alert, to: [police], caseId: nil, priority: .crisis).caseId == nil)
        #expect(throws: BusinessBodyError.priorityMismatch(kind: .crisisAlert, expected: .crisis)) {
            try OutgoingMessage.business(alert, to: [police], caseId: nil, priority: .urgent)
        }
        // Closing a plan is routine.
        let closed = try Self.strict(FollowUpClosed.self, Self.example(.followUpClosed, "valid"))
        #expect(throws: BusinessBodyError.priorityMismatch(kind: .followUpClosed, expected: .routine)) {
            try OutgoingMessage.business(closed, to: ["test-a"], caseId: Self.caseId, priority: .urgent)
        }
        // An escalation of a crisis alert that had no case has none either; any other needs one.
        var escalation = try Self.strict(EscalationNotice.self, Self.example(.escalationNotice, "valid"))
        #expect(throws: BusinessBodyError.missingCase(.escalationNotice)) {
            try OutgoingMessage.business(escalation, to: ["test-e"], caseId: nil, priority: .routine)
        }
        escalation.caseId = nil
        escalation.overdue = OverdueItem(
            awaiting: .acknowledgment, kind: .crisisAlert,
            message: MessageReference(from: "test-a", id: "test-a:000009"),
            party: "test-police")
        #expect(try OutgoingMessage.business(escalation, to: ["test-e"], caseId: nil, priority: .crisis).caseId == nil)
    }

    @Test func clinicalSectionGoesToHealthOnly() throws {
        var notice = try Self.strict(DischargeNotice.self, Self.example(.dischargeNotice, "valid"))
        #expect(notice.requiredPriority == .routine)  // yellow
        let school = ["test-a", "role:civil-affairs/child-director@350102100201"]
        _ = try OutgoingMessage.business(notice, to: school, caseId: Self.caseId, priority: .routine)
        notice.clinical = ClinicalSection(diagnoses: [Diagnosis(system: .icd10, code: "F43.2")], onMedication: false)
        #expect(
            throws: BusinessBodyError.clinicalSectionToNonHealthRecipient(
                address: "role:civil-affairs/child-director@350102100201")
        ) { try OutgoingMessage.business(notice, to: school, caseId: Self.caseId, priority: .routine) }
        let clinic = try OutgoingMessage.business(
            notice, to: ["role:health/child-psychology-clinic@350102"], caseId: Self.caseId, priority: .routine)
        #expect(try BusinessCoding.decode(DischargeNotice.self, from: clinic.body).clinical != nil)
        let copy = notice.withoutClinicalSection()
        #expect(copy.clinical == nil)
        #expect(copy.followupPlan == notice.followupPlan)
        let forSchool = try OutgoingMessage.business(copy, to: school, caseId: Self.caseId, priority: .routine)
        #expect(!String(decoding: forSchool.body, as: UTF8.self).contains("clinical"))
    }
}
