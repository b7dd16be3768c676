import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

@Suite struct CaseTrackingTests {
    static func check(
        _ kind: String, by sender: String, to recipients: [String] = ["clinic-1"], current: TrackedCase?,
        caseId: String? = "c1"
    ) -> CaseCheck {
        CaseTracking.check(
            kind: kind, caseId: caseId, sender: sender, recipients: recipients, priority: .urgent, current: current,
            now: 500)
    }

    static func status(_ check: CaseCheck) -> String? {
        if case .move(let tracked) = check { return tracked.machine.status.rawValue }
        return nil
    }

    static func code(_ check: CaseCheck) -> ErrorCode? {
        if case .rejected(let code, _) = check { return code }
        return nil
    }

    static func tracked(_ status: String, attempt: Int = 1) -> TrackedCase {
        TrackedCase(
            CaseRecord(
                caseId: "c1", status: status, referrer: "school-1", service: "clinic-1", attempt: attempt,
                openedAt: 100,
                updatedAt: 200, risk: "routine"))!
    }

    @Test func untrackedKindsAndMessagesWithoutCase() {
        #expect(Self.check("followup.visit", by: "school-1", current: nil) == .untracked)
        #expect(Self.check("referral.request", by: "school-1", current: nil, caseId: nil) == .untracked)
    }

    @Test func requestOpensACase() throws {
        guard case .move(let opened) = Self.check("referral.request", by: "school-1", current: nil) else {
            Issue.record("not opened")
            return
        }
        #expect(opened.machine.referrer == "school-1" && opened.machine.service == "clinic-1")
        #expect(opened.machine.status.rawValue == "requested" && opened.machine.attempt == 1)
        #expect(opened.openedAt == 500 && opened.updatedAt == 500 && opened.risk == "urgent")
        #expect(opened.record.status == "requested" && opened.record.caseId == "c1")
        // A request must name exactly one service.
        #expect(
            Self.code(Self.check("referral.request", by: "school-1", to: ["clinic-1", "clinic-2"], current: nil))
                == .illegalTransition)
    }

    @Test func movesNeedAnExistingCaseTheRightRoleAndStatus() {
        #expect(Self.code(Self.check("referral.accepted", by: "clinic-1", current: nil)) == .unknownCase)
        #expect(
            Self.status(Self.check("referral.accepted", by: "clinic-1", current: Self.tracked("received")))
                == "accepted")
        let late = Self.check("referral.accepted", by: "clinic-1", current: Self.tracked("completed"))
        #expect(Self.code(late) == .illegalTransition)
        if case .rejected(_, let reason) = late { #expect(reason.contains("status completed")) }
        // The code is REJECTED's own member: the reason does not repeat it ("ILLEGAL_TRANSITION: ILLEGAL_TRANSITION:").
        let wrongParty = Self.check("referral.accepted", by: "school-1", current: Self.tracked("requested"))
        for check in [late, wrongParty] {
            if case .rejected(let code, let reason) = check { #expect(!reason.contains(code.rawValue), "\(reason)") }
        }
        #expect(Self.code(wrongParty) == .forbiddenMove)
        #expect(
            Self.code(Self.check("referral.cancelled", by: "clinic-1", current: Self.tracked("accepted")))
                == .forbiddenMove)
        #expect(
            Self.code(Self.check("referral.received", by: "stranger", current: Self.tracked("requested")))
                == .forbiddenMove)
        #expect(
            Self.code(Self.check("referral.request", by: "school-1", current: Self.tracked("accepted")))
                == .illegalTransition)
    }

    @Test func rejectedCaseIsReRouted() {
        guard
            case .move(let rerouted) = Self.check(
                "referral.request", by: "school-1", to: ["hospital-1"], current: Self.tracked("rejected"))
        else {
            Issue.record("not re-routed")
            return
        }
        #expect(rerouted.machine.status.rawValue == "requested")
        #expect(rerouted.machine.service == "hospital-1" && rerouted.machine.attempt == 2)
        #expect(rerouted.openedAt == 100 && rerouted.updatedAt == 500)
    }

    @Test func unreadableRowsAreNotLoaded() {
        #expect(TrackedCase(CaseRecord(caseId: "c1", status: "nonsense", referrer: "a", service: "b")) == nil)
        #expect(TrackedCase(CaseRecord(caseId: "c1", status: "requested")) == nil)
    }
}
