import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// SEND admission (1/RBP §7.3, §12, the error-code table): what is refused before the store, and what the store's
/// answer turns into.
@Suite struct AdmissionTests {
    @Test func acceptedIsSentOnlyAfterTheCommit() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let submitted = rig.send(referral(), on: school)
        #expect(submitted.accepted.isEmpty)
        let pending = try #require(submitted.accepts.first)
        #expect(pending.message.recipients == ["gl-child-psych"])
        #expect(rig.machine.pendingAccepts == 1)
        let committed = rig.stored(.accepted(pending, .stored(seq: 7)))
        #expect(committed.accepted == [Accepted(id: "m-1", seq: 7, duplicate: false, recipients: 1)])
        #expect(committed.sends.first?.to == school)
        #expect(rig.machine.pendingAccepts == 0)
    }

    @Test func theContentDigestIsComputedOnceAtAdmission() throws {
        var rig = try Rig()
        let message = referral()
        let pending = try #require(rig.send(message, on: rig.connect("gl-school-1")).accepts.first)
        #expect(pending.message.digest == message.contentDigest)
        #expect(!pending.message.digest.isEmpty)
    }

    @Test func aDuplicateIsAcceptedAgainWithTheFirstSeq() throws {
        var rig = try Rig()
        let pending = try #require(rig.send(referral(), on: rig.connect("gl-school-1")).accepts.first)
        let committed = rig.stored(.accepted(pending, .duplicate(seq: 3, recipients: 1)))
        #expect(committed.accepted == [Accepted(id: "m-1", seq: 3, duplicate: true, recipients: 1)])
        #expect(committed.persists.isEmpty)
    }

    @Test func aResendWithOtherContentIsConflictAndAudited() throws {
        var rig = try Rig()
        let pending = try #require(rig.send(referral(), on: rig.connect("gl-school-1")).accepts.first)
        let committed = rig.stored(.accepted(pending, .conflict(existingSeq: 3)))
        #expect(committed.rejected.map(\.code) == [.conflict])
        #expect(committed.rejected.first?.retry == false)
        #expect(committed.audits.map(\.code) == [ErrorCode.conflict.rawValue])
    }

    @Test func aFailedCommitIsStoreFailedAndRetryable() throws {
        var rig = try Rig()
        let pending = try #require(rig.send(referral(), on: rig.connect("gl-school-1")).accepts.first)
        let committed = rig.stored(.acceptFailed(pending, reason: "the broker could not write to its store"))
        #expect(committed.rejected.map(\.code) == [.storeFailed])
        #expect(committed.rejected.first?.retry == true)
        #expect(rig.machine.pendingAccepts == 0)
    }

    @Test func aSendWithoutSessionIsNotConnected() throws {
        var rig = try Rig()
        let actions = rig.send(referral(), on: rig.connection())
        #expect(actions.errors.map(\.code) == [.notConnected])
        #expect(actions.accepts.isEmpty)
    }

    @Test func aKindTheSenderMayNotSendIsForbidden() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let actions = rig.send(
            Send(id: "m-2", to: ["gl-child-psych"], kind: "referral.completed", caseId: "case-1", priority: .routine),
            on: school)
        #expect(actions.rejected.map(\.code) == [.forbidden])
        #expect(actions.audits.map(\.code) == [ErrorCode.forbidden.rawValue])
    }

    @Test func unresolvableAddressesAreRefusedNamingTheAddress() throws {
        var rig = try Rig()
        let actions = rig.send(referral(to: ["no-such-node"]), on: rig.connect("gl-school-1"))
        #expect(actions.rejected.map(\.code) == [.unknownRecipient])
        #expect(actions.rejected.first?.recipient == "no-such-node")
    }

    @Test func moreRecipientsThanTheLimitIsTooLarge() throws {
        var rig = try Rig(configure: { $0.limits.maxRecipients = 1 })
        let alert = Send(id: "a-1", to: ["gl-child-psych", "gl-psb"], kind: "crisis.alert", priority: .crisis)
        let actions = rig.send(alert, on: rig.connect("gl-school-1"))
        #expect(actions.rejected.map(\.code) == [.tooLarge])
        #expect(actions.rejected.first?.field == "to")
    }

    @Test func theRateLimitRefusesABurstAndRefillsWithTime() throws {
        var rig = try Rig(configure: { ($0.ratePerSecond, $0.rateBurst) = (1, 2) })
        let school = rig.connect("gl-school-1")
        #expect(rig.send(referral("m-1"), on: school).accepts.count == 1)
        #expect(rig.send(referral("m-2"), on: school).accepts.count == 1)
        let limited = rig.send(referral("m-3"), on: school)
        #expect(limited.rejected.map(\.code) == [.rateLimited])
        #expect(limited.rejected.first?.retry == true)
        rig.now += 1_000
        #expect(rig.send(referral("m-3"), on: school).accepts.count == 1)
    }

    @Test func tooManySendsWaitingForTheStoreIsOverloaded() throws {
        var rig = try Rig(configure: { $0.maxPendingAccepts = 1 })
        let school = rig.connect("gl-school-1")
        let pending = try #require(rig.send(referral("m-1"), on: school).accepts.first)
        #expect(rig.send(referral("m-2"), on: school).rejected.map(\.code) == [.overloaded])
        _ = rig.stored(.accepted(pending, .stored(seq: 1)))
        #expect(rig.send(referral("m-2"), on: school).accepts.count == 1)
    }

    @Test func aSuspendedSenderLosesItsSession() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let directory = try demoDirectory(suspended: ["gl-school-1"])
        let jurisdiction = Jurisdiction(directory: directory, policy: .default, plaintext: true)
        // Reload suspends it; its session ends at once, so its next SEND finds none.
        let reloaded = rig.handle(
            .reload(.success(Reloadable(jurisdiction: jurisdiction, escalation: .defaults)), replyTo: nil, now: rig.now)
        )
        #expect(reloaded.errors.map(\.code) == [.nodeSuspended])
        #expect(reloaded.errors.first?.fatal == true)
        #expect(rig.send(referral(), on: school).errors.map(\.code) == [.notConnected])
    }
}

/// Case tracking (1/RBP §7.3): a move is decided against the case row in the accepting transaction; the machine
/// attaches the check and answers what the store decided.
@Suite struct CaseAdmissionTests {
    @Test func aCaseMoveCarriesItsCheckAndOtherKindsDoNot() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let move = try #require(rig.send(referral(case: "CASE-9"), on: school).accepts.first)
        #expect(move.caseCheck?.caseId == "case-9")
        let alert = Send(id: "a-1", to: ["gl-psb"], kind: "crisis.alert", caseId: "case-9", priority: .crisis)
        #expect(try #require(rig.send(alert, on: school).accepts.first).caseCheck == nil)
    }

    @Test func aRefusedMoveIsRejectedWithTheStoresCodeAndAudited() throws {
        var rig = try Rig()
        var pending = try #require(rig.send(referral(), on: rig.connect("gl-school-1")).accepts.first)
        pending.caseRefusal = CaseRefusal(code: .unknownCase, reason: "no such case")
        let actions = rig.stored(.caseRefused(pending))
        #expect(actions.rejected.map(\.code) == [.unknownCase])
        #expect(actions.audits.map(\.code) == [ErrorCode.unknownCase.rawValue])
        #expect(rig.machine.pendingAccepts == 0)
    }

    @Test func aTrackedRequestArmsItsAnswerDeadlines() throws {
        var rig = try Rig()
        let pending = try #require(rig.send(referral(), on: rig.connect("gl-school-1")).accepts.first)
        #expect(!pending.deadlines.isEmpty)
        #expect(pending.deadlines.allSatisfy { $0.caseId == "case-1" })
    }

    @Test func anAnswerMeetsTheDeadlinesItAnswers() throws {
        var rig = try Rig()
        let clinic = rig.connect("gl-child-psych")
        let answer = Send(
            id: "r-1", to: ["gl-school-1"], kind: "referral.received", caseId: "case-1", priority: .urgent)
        let pending = try #require(rig.send(answer, on: clinic).accepts.first)
        #expect(!pending.closes.isEmpty)
        #expect(pending.closes.allSatisfy { $0.caseId == "case-1" && $0.state == .met })
    }
}

/// The check a case move carries is CaseCore's decision, made against the row the store reads.
@Suite struct CaseCheckTests {
    @Test func aRequestOpensACaseAndAMoveOnNoCaseIsUnknownCase() throws {
        var rig = try Rig()
        let request = try #require(rig.send(referral(), on: rig.connect("gl-school-1")).accepts.first?.caseCheck)
        guard case .move(let record, let endsCase) = request.decide(nil) else {
            Issue.record("the request opened no case")
            return
        }
        #expect(record.status == "requested" && record.service == "gl-child-psych" && !endsCase)
        let accepted = Send(
            id: "r-1", to: ["gl-school-1"], kind: "referral.accepted", caseId: "case-2", priority: .urgent)
        let move = try #require(rig.send(accepted, on: rig.connect("gl-child-psych")).accepts.first?.caseCheck)
        guard case .refuse(let code, _) = move.decide(nil) else {
            Issue.record("a move on no case was not refused")
            return
        }
        #expect(code == ErrorCode.unknownCase.rawValue)
    }
}
