import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// The admin endpoint's rules (ADMIN-1), driven through the machine with no sockets: what each request reads or
/// answers, and the replies to what the store read.
@Suite struct AdminRuleTests {
    let shell = ShellFacts(
        startedAt: 1_772_413_000_000, endpoint: "tcp://127.0.0.1:5555",
        store: StoreStatistics(transactions: 3, rowsWritten: 11))

    func admin(_ rig: inout Rig, _ request: AdminRequest) -> [MachineAction] {
        rig.handle(.admin(AdminArrival(request: .success(request), replyTo: operatorPeer, shell: shell), now: rig.now))
    }

    func answer(_ rig: inout Rig, _ result: AdminReadResult) -> [MachineAction] {
        rig.stored(.adminRead(result, replyTo: operatorPeer))
    }

    @Test func statusReportsTheBrokerEveryDirectoryNodeAndHeldCasesFromMemory() throws {
        var rig = try Rig()
        let (_, clinic) = rig.referralInFlight()
        _ = rig.command(.nack(Nack(seq: 7, retry: false, reason: "cannot parse")), on: clinic)
        _ = rig.tick()
        let actions = admin(&rig, .status)
        #expect(actions.requests.isEmpty)
        #expect(actions.replies.map(\.to) == [operatorPeer])
        guard case .ok(.status(let status))? = actions.replies.first?.response else {
            Issue.record("no STATUS: \(actions)")
            return
        }
        #expect(status.broker.version == ProductVersion.string && status.broker.endpoint == "tcp://127.0.0.1:5555")
        #expect(status.broker.startedAt == shell.startedAt && status.broker.uptimeMs == rig.now - shell.startedAt)
        #expect(status.broker.security == "plaintext-development")
        #expect(status.broker.storeTransactions == 3 && status.broker.storeRowsWritten == 11)
        #expect(status.nodes.map(\.node) == rig.machine.jurisdiction.directory.allEntries.map(\.id).sorted())
        let school = try #require(status.nodes.first { $0.node == "gl-school-1" })
        #expect(school.connected && school.state == "active" && school.receiptsPending == 0)
        let psych = try #require(status.nodes.first { $0.node == "gl-child-psych" })
        #expect(psych.connected && psych.deadLetters == 1 && psych.inFlight == 0)
        #expect(status.deadLetters == 1)
        #expect(
            status.heldCases == [
                AdminStatus.HeldCase(caseId: "case-1", recipient: "gl-child-psych", since: rig.now, seq: 7)
            ])
        #expect(try Rig(plaintext: false).machine.status(shell, now: rig.now).broker.security == "curve")
        #expect(status.store == nil)
    }

    @Test func statusShowsTheStoreTheShellHandsIn() throws {
        let rig = try Rig()
        var postgres = shell
        postgres.storeStatus = AdminStoreStatus(
            backend: "postgresql", instance: "broker-a", role: "active",
            lease: AdminStoreStatus.Lease(epoch: 4, holder: "broker-a", holderEndpoint: "tcp://h:1", expiresInMs: 900))
        #expect(rig.machine.status(postgres, now: rig.now).store == postgres.storeStatus)
    }

    @Test func aRequestThatDidNotDecodeIsAnsweredWithItsError() throws {
        var rig = try Rig()
        let error = AdminError(.unknownCommand, "no such command: HELP")
        let actions = rig.handle(
            .admin(AdminArrival(request: .failure(error), replyTo: operatorPeer, shell: shell), now: rig.now))
        #expect(actions.replies.map(\.response) == [.error(error)])
        #expect(actions.requests.isEmpty)
    }

    @Test func trailReadsTheMessageOrTheLowercasedCaseAndAnswersNotFoundOrTheEvents() throws {
        var rig = try Rig()
        let byMessage = admin(&rig, .trail(.message(sender: "gl-school-1", id: "M-1")))
        #expect(byMessage.adminReads.map(\.read) == [.trail(.message(sender: "gl-school-1", id: "M-1"))])
        #expect(byMessage.replies.isEmpty)
        let byCase = admin(&rig, .trail(.caseId("Case-1")))
        #expect(byCase.adminReads.map(\.read) == [.trail(.caseId("case-1"))])
        #expect(byCase.adminReads.map(\.replyTo) == [operatorPeer])

        #expect(
            answer(&rig, .trail([])).replies.map(\.response) == [
                .error(AdminError(.notFound, "no such message or case"))
            ])
        let entry = TrailEntry(
            at: 5, event: .deliveryAttempt, seq: 7, messageId: "m-1", sender: "gl-school-1",
            recipient: "gl-child-psych", attempt: 2, detail: nil)
        let found = answer(&rig, .trail([entry])).replies
        let event = AdminTrailEvent(
            at: 5, event: "delivery-attempt", seq: 7, messageId: "m-1", sender: "gl-school-1",
            recipient: "gl-child-psych", attempt: 2)
        #expect(found.map(\.response) == [.ok(.trail(AdminTrail(events: [event])))])
        #expect(found.map(\.to) == [operatorPeer])
    }

    @Test func caseReadsTheLowercasedCaseAndAnswersNotFoundOnlyWhenNothingHasIt() throws {
        var rig = try Rig()
        #expect(admin(&rig, .caseInfo(caseId: "CASE-7")).adminReads.map(\.read) == [.caseInfo(caseId: "case-7")])
        let nothing = CaseInfo(caseId: "case-7", record: nil, events: [], deadlines: [], deadlinesTruncated: false)
        #expect(
            answer(&rig, .caseInfo(nothing)).replies.map(\.response) == [
                .error(AdminError(.notFound, "no case, message or deadline has this case id"))
            ])
        let tracked = CaseInfo(
            caseId: "case-7", record: CaseRecord(caseId: "case-7", status: "requested", referrer: "gl-school-1"),
            events: [], deadlines: [], deadlinesTruncated: false)
        guard case .ok(.caseInfo(let result))? = answer(&rig, .caseInfo(tracked)).replies.first?.response else {
            Issue.record("no CASE result")
            return
        }
        #expect(result.caseId == "case-7" && result.tracking?.status == "requested")
        #expect(result.tracking?.referrer == "gl-school-1")
    }

    @Test func overduePassesItsFiltersAndTheTimeToTheStoreAndListsWhatItFound() throws {
        var rig = try Rig()
        let filtered = admin(
            &rig, .overdue(AdminRequest.OverdueFilter(region: "3501", agency: "health", risk: "crisis")))
        #expect(
            filtered.adminReads.map(\.read) == [
                .overdue(now: rig.now, region: "3501", agency: "health", risk: "crisis")
            ])
        let all = admin(&rig, .overdue(AdminRequest.OverdueFilter()))
        #expect(all.adminReads.map(\.read) == [.overdue(now: rig.now, region: nil, agency: nil, risk: nil)])
        let escalated = admin(&rig, .overdue(AdminRequest.OverdueFilter(risk: "crisis", escalated: true, limit: 50)))
        #expect(
            escalated.adminReads.map(\.read) == [
                .overdue(now: rig.now, region: nil, agency: nil, risk: "crisis", escalated: true, limit: 50)
            ])

        let record = DeadlineRecord(
            id: 4, caseId: "case-1", item: "answer:gl-child-psych:referral.accepted", dueAt: 10, level: 1, notice: nil,
            policy: "p", state: .open, createdAt: 1, closedAt: nil, region: "350102", agency: "health", risk: "urgent")
        let item = AdminOverdueItem(
            id: 4, caseId: "case-1", item: "answer:gl-child-psych:referral.accepted", dueAt: 10, level: 1,
            region: "350102", agency: "health", risk: "urgent", escalatedAt: 1)
        #expect(answer(&rig, .overdue([record])).replies.map(\.response) == [.ok(.overdue([item]))])
        // At level 0 a row's creation is when its message set it, not an escalation.
        var first = record
        first.level = 0
        var unescalated = item
        (unescalated.level, unescalated.escalatedAt) = (0, nil)
        #expect(answer(&rig, .overdue([first])).replies.map(\.response) == [.ok(.overdue([unescalated]))])
        #expect(answer(&rig, .overdue([])).replies.map(\.response) == [.ok(.overdue([]))])
    }

    @Test func auditVerifyAndExportAreReadAndAnswered() throws {
        var rig = try Rig()
        #expect(admin(&rig, .auditVerify).adminReads.map(\.read) == [.verifyAudit])
        let intact = answer(&rig, .auditVerified(.intact(records: 3, lastHash: String(repeating: "a", count: 64))))
        #expect(
            intact.replies.map(\.response) == [
                .ok(.auditVerify(.intact(records: 3, lastHash: String(repeating: "a", count: 64))))
            ])
        let broken = answer(&rig, .auditVerified(.broken(atId: 2, problem: "changed")))
        #expect(broken.replies.map(\.response) == [.ok(.auditVerify(.broken(atId: 2, problem: "changed")))])

        #expect(
            admin(&rig, .auditExport(since: 5, limit: 10)).adminReads.map(\.read) == [.exportAudit(since: 5, limit: 10)]
        )
        #expect(
            admin(&rig, .auditExport(since: 0, limit: nil)).adminReads.map(\.read) == [
                .exportAudit(since: 0, limit: nil)
            ])
        let row = AuditRecordRow(
            id: 6, entry: AuditEvent(at: 9, event: .acked, node: "gl-child-psych", seq: 7, detail: "attempts=1"),
            hash: String(repeating: "b", count: 64))
        let exported = answer(&rig, .auditExported([ExportedAuditRecord(row: row, line: "{\"id\":6}")]))
        let record = AdminAuditRecord(
            id: 6, at: 9, event: "acked", hash: String(repeating: "b", count: 64), line: "{\"id\":6}",
            node: "gl-child-psych", seq: 7, detail: "attempts=1")
        #expect(exported.replies.map(\.response) == [.ok(.auditExport([record]))])
    }

    @Test func reloadAsksTheShellForTheFilesThenAnswersWhatItApplied() throws {
        var rig = try Rig()
        let asked = admin(&rig, .reload)
        guard case .readReloadFiles(let peer)? = asked.first, asked.count == 1 else {
            Issue.record("the files were not asked for: \(asked)")
            return
        }
        #expect(peer == operatorPeer)
        let jurisdiction = Jurisdiction(
            directory: try demoDirectory(suspended: ["gl-psb"]), policy: .default, plaintext: true)
        let applied = rig.handle(
            .reload(
                .success(Reloadable(jurisdiction: jurisdiction, escalation: .defaults)), replyTo: peer, now: rig.now))
        let count = jurisdiction.directory.allEntries.count
        let expected = AdminReload(
            nodes: count, added: [], removed: [], suspended: ["gl-psb"], reactivated: [], rekeyed: [],
            escalationPolicy: "default")
        #expect(applied.replies.map(\.response) == [.ok(.reload(expected))])
        let refused = rig.handle(
            .reload(.failure(ReloadRefusal(problems: ["a: bad", "b: worse"])), replyTo: peer, now: rig.now))
        #expect(refused.replies.map(\.response) == [.error(AdminError(.badDirectory, "a: bad; b: worse"))])
        #expect(refused.replies.map(\.to) == [operatorPeer])
    }

    @Test func aFailedReadIsAnsweredStoreFailedWithItsReason() throws {
        var rig = try Rig()
        let failed = answer(&rig, .failed(reason: "the audit trail could not be read"))
        #expect(
            failed.replies.map(\.response) == [.error(AdminError(.storeFailed, "the audit trail could not be read"))])
        #expect(failed.replies.map(\.to) == [operatorPeer])
    }
}
