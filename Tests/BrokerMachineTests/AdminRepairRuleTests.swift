import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// The repair commands' rules (ADMIN-1 DEAD-LETTERS ... RELEASE), driven through the machine with no sockets: a change
/// is one store unit carrying its audit record with the operator's name; the scheduler follows only once it committed.
@Suite struct AdminRepairRuleTests {
    let shell = ShellFacts(startedAt: 1_772_413_000_000, endpoint: "tcp://127.0.0.1:5555", store: StoreStatistics())

    func admin(_ rig: inout Rig, _ request: AdminRequest) -> [MachineAction] {
        rig.handle(.admin(AdminArrival(request: .success(request), replyTo: operatorPeer, shell: shell), now: rig.now))
    }

    func repairs(_ actions: [MachineAction]) -> [RepairUnit] {
        actions.requests.compactMap { if case .repair(let unit, _) = $0 { unit } else { nil } }
    }

    /// The dead letter of seq 7 (case-1) to gl-child-psych, and a later message of the case held behind it.
    func deadLetterWithOneHeld() throws -> Rig {
        var rig = try Rig()
        let (school, clinic) = rig.referralInFlight()
        _ = rig.command(.nack(Nack(seq: 7, retry: false, reason: "cannot parse")), on: clinic)
        _ = rig.tick()
        _ = rig.accept(referral("m-2"), on: school, seq: 8)
        _ = rig.tick()
        return rig
    }

    @Test func redriveToAnInactiveNodeIsRefusedWithoutTheStore() throws {
        var rig = try Rig()
        let actions = admin(&rig, .redrive(seq: 7, recipient: "gl-child-psych", to: "nobody", operatorName: "op"))
        #expect(actions.requests.isEmpty)
        #expect(actions.replies.first?.response.errorCode == .redriveRefused)
    }

    @Test func aRedriveIsOneAuditedUnitAndThenTheLaneFlowsInOrder() throws {
        var rig = try deadLetterWithOneHeld()
        #expect(rig.machine.status(shell, now: rig.now).deadLetters == 1)
        let actions = admin(&rig, .redrive(seq: 7, recipient: "gl-child-psych", to: nil, operatorName: "op-made-up"))
        let unit = try #require(repairs(actions).first)
        #expect(unit.audit.event == "dead-letter-redriven" && unit.audit.detail == "operator=op-made-up")
        #expect(unit.operatorName == "op-made-up")
        #expect(actions.replies.isEmpty)  // only once committed

        let delivery = OpenDelivery(
            seq: 7, recipient: "gl-child-psych", sender: "gl-school-1", messageId: "m-1", caseId: "case-1",
            priority: 1, attempts: 0, acceptedAt: rig.now)
        let held = HeldCase(caseId: "case-1", recipient: "gl-child-psych", seq: 7, since: rig.now, reason: "x")
        let done = rig.stored(
            .repaired(unit.action, .redriven(delivery: delivery, released: held), replyTo: operatorPeer))
        #expect(
            done.replies.first?.response
                == .ok(
                    .redrive(
                        AdminRepair.Redriven(seq: 7, recipient: "gl-child-psych", to: "gl-child-psych", released: true))
                ))
        let status = rig.machine.status(shell, now: rig.now)
        #expect(status.deadLetters == 0 && status.heldCases.isEmpty)
        #expect(status.nodes.first { $0.node == "gl-child-psych" }?.pending == 2)
        // The redriven one goes first (the held one waits for the lane's page, read from the store).
        let first = rig.tick()
        #expect(
            first.delivers.map(\.deliver.seq)
                + first.requests.compactMap { request -> Int64? in
                    if case .load(let seqs) = request { return seqs.first } else { return nil }
                } == [7])
    }

    @Test func aFailedCommitChangesNothing() throws {
        var rig = try deadLetterWithOneHeld()
        let actions = admin(&rig, .discard(seq: 7, recipient: "gl-child-psych", operatorName: "op"))
        let unit = try #require(repairs(actions).first)
        let done = rig.stored(.repaired(unit.action, nil, replyTo: operatorPeer))
        #expect(done.replies.first?.response.errorCode == .storeFailed)
        #expect(rig.machine.status(shell, now: rig.now).deadLetters == 1)
        #expect(rig.machine.status(shell, now: rig.now).heldCases.count == 1)
    }

    @Test func releaseLowercasesTheCaseAndAnswersNotFound() throws {
        var rig = try deadLetterWithOneHeld()
        let actions = admin(&rig, .release(caseId: "CASE-1", recipient: "gl-child-psych", operatorName: "op"))
        let unit = try #require(repairs(actions).first)
        guard case .release(let caseId, _) = unit.action else {
            Issue.record("not a release: \(unit.action)")
            return
        }
        #expect(caseId == "case-1" && unit.audit.event == "case-released")
        let done = rig.stored(.repaired(unit.action, .notFound, replyTo: operatorPeer))
        #expect(done.replies.first?.response.errorCode == .notFound)
    }

    @Test func deadLettersAsksOneMoreThanShownAndGivesTheCursor() throws {
        var rig = try Rig()
        let actions = admin(&rig, .deadLetters(AdminRepair.Query(olderThanMs: 1000, limit: 1, cursor: "7:gl-a")))
        guard case .deadLetters(let filter)? = actions.adminReads.first?.read else {
            Issue.record("no read: \(actions)")
            return
        }
        #expect(filter.limit == 2 && filter.before == rig.now - 1000 && filter.after?.seq == 7)
        let row = DeadLetterRecord(
            seq: 9, recipient: "gl-a", sender: "s", messageId: "m", kind: "k", caseId: nil, priority: 2,
            deadLetteredAt: 1, reason: "r", attempts: 3)
        let reply = rig.stored(.adminRead(.deadLetters([row, row], limit: 1), replyTo: operatorPeer))
        guard case .ok(.deadLetters(let list))? = reply.replies.first?.response else {
            Issue.record("no list: \(reply)")
            return
        }
        #expect(list.deadLetters.count == 1 && list.nextCursor == "9:gl-a" && list.deadLetters[0].priority == "crisis")
    }
}

extension AdminResponse {
    var errorCode: AdminError.Code? {
        if case .error(let error) = self { return error.code }
        return nil
    }
}
