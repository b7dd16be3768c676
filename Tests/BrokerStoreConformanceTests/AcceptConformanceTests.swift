import StoreModel
import Testing

/// Accept units: dedupe, CONFLICT, case moves, and what is written only when the message is stored.
@Suite struct AcceptConformanceTests {
    @Test(arguments: Backend.allCases)
    func acceptDuplicateAndConflict(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let results = try session.store.run([
                .accept(AcceptUnit(message: message("m1", to: ["node-b", "node-c"]))),
                .accept(AcceptUnit(message: message("m1", to: ["node-b", "node-c"]))),
            ])
            guard case .accepted(.stored(let seq)) = results[0] else {
                Issue.record("\(results)")
                return
            }
            #expect(results[1] == .accepted(.duplicate(seq: seq, recipients: 2)))
            // Later, the same key: a duplicate with the first recipients; other content: CONFLICT, nothing written.
            #expect(
                try session.run(.accept(AcceptUnit(message: message("m1"))))
                    == .accepted(.duplicate(seq: seq, recipients: 2)))
            #expect(
                try session.run(.accept(AcceptUnit(message: message("m1", body: "other"))))
                    == .accepted(.conflict(existingSeq: seq)))
            #expect(try session.store.loadOpenDeliveries().map(\.recipient) == ["node-b", "node-c"])
            let stored = try session.store.loadMessages(seqs: [seq, seq + 99])
            #expect(stored.map(\.body) == [Array("body of m1".utf8)])
            #expect(stored.first?.recipients == ["node-b", "node-c"])
            // Another sender may use the same id.
            #expect(try session.store(message("m1", from: "node-z")) != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func aRefusedCaseMoveWritesNothing(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let refuse = CaseMoveCheck(caseId: "c1") { _ in .refuse(code: "ILLEGAL_TRANSITION", reason: "not now") }
            let unit = AcceptUnit(
                message: message("m1", caseId: "c1"), caseMove: refuse,
                deadlines: [deadline("answer:node-b:referral.received", armedBy: nil)],
                closes: [.inCase("c1", item: nil, state: .cancelled)],
                audit: AuditEvent(at: 1_000, event: .accepted, node: "node-a", messageId: "m1"))
            let before = session.store.statistics.rowsWritten
            #expect(try session.run(.accept(unit)) == .caseRefused(code: "ILLEGAL_TRANSITION", reason: "not now"))
            #expect(session.store.statistics.rowsWritten == before)
            #expect(try session.store.trail(sender: "node-a", messageId: "m1").isEmpty)
            #expect(try session.store.openDeadlineCount() == 0)
            #expect(try session.store.exportAudit(since: .min, limit: nil).isEmpty)
            #expect(try session.store.caseRecord(id: "c1") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func aCaseMoveIsWrittenWithItsMessageAndAResendIsADuplicate(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let opened = CaseRecord(caseId: "c1", status: "requested", referrer: "node-a", service: "node-b")
            let open = CaseMoveCheck(caseId: "c1") { row in
                row == nil ? .move(opened, endsCase: false) : .refuse(code: "ILLEGAL_TRANSITION", reason: "open")
            }
            let unit = AcceptUnit(message: message("m1", caseId: "c1"), caseMove: open)
            guard case .accepted(.stored(let seq)) = try session.run(.accept(unit)) else {
                Issue.record("not stored")
                return
            }
            #expect(try session.store.caseRecord(id: "c1") == opened)
            // Resent: a duplicate, although the move would be refused now.
            #expect(try session.run(.accept(unit)) == .accepted(.duplicate(seq: seq, recipients: 1)))
            // A move that ends the case cancels its open deadlines.
            _ = try session.run(.setDeadline(deadline("visit:1:node-b")))
            let done = CaseRecord(caseId: "c1", status: "completed", referrer: "node-a", service: "node-b")
            let end = CaseMoveCheck(caseId: "c1") { _ in .move(done, endsCase: true) }
            _ = try session.run(.accept(AcceptUnit(message: message("m2", caseId: "c1"), caseMove: end)))
            #expect(try session.store.caseRecord(id: "c1")?.status == "completed")
            #expect(try session.store.openDeadlines(caseId: "c1", limit: 10).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func deadlinesAreSetAndClosedOnlyWhenTheMessageIsStored(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let arming = AcceptUnit(
                message: message("m1", to: ["node-b"], caseId: "c1"),
                deadlines: [
                    NewDeadline(
                        caseId: "c1", item: .deliveryOfArmingMessage(to: "node-b"), dueAt: 4_000, notice: notice(nil),
                        policy: "snapshot"),
                    deadline("answer:node-b:referral.received", armedBy: nil),
                ],
                audit: AuditEvent(at: 1_000, event: .accepted, node: "node-a", messageId: "m1"))
            guard case .accepted(.stored(let seq)) = try session.run(.accept(arming)) else {
                Issue.record("not stored")
                return
            }
            let open = try session.store.openDeadlines(caseId: "c1", limit: 10)
            #expect(open.map(\.item) == ["delivery:\(seq):node-b", "answer:node-b:referral.received"])
            #expect(open.allSatisfy { $0.notice?.armedBy == seq && $0.policy == "snapshot" && $0.state == .open })
            // The accepted record got the stored seq.
            #expect(try session.store.exportAudit(since: .min, limit: nil).map(\.entry.seq) == [seq])
            // Resent: nothing more is set or audited.
            _ = try session.run(.accept(arming))
            #expect(try session.store.openDeadlineCount() == 2)
            #expect(try session.store.exportAudit(since: .min, limit: nil).count == 1)
            // An answer closes its deadline only when it is stored (a duplicate of the request closes nothing).
            let answer = DeadlineClosing.inCase("c1", item: "answer:node-b:referral.received", state: .met)
            _ = try session.run(.accept(AcceptUnit(message: message("m1", caseId: "c1"), closes: [answer])))
            #expect(try session.store.openDeadlineCount() == 2)
            _ = try session.run(
                .accept(
                    AcceptUnit(message: message("r1", from: "node-b", to: ["node-a"], caseId: "c1"), closes: [answer])))
            #expect(try session.store.openDeadlines(caseId: "c1", limit: 10).map(\.item) == ["delivery:\(seq):node-b"])
            #expect(try session.store.deadline(id: open[1].id)?.state == .met)
        }
    }

    @Test(arguments: Backend.allCases)
    func followUpVisitsAndPlans(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            _ = try session.store.run([
                .setDeadline(deadline("visit:10:dir", due: 900, closers: ["hosp"])),
                .setDeadline(deadline("visit:2:dir", due: 300, closers: ["hosp"])),
                .setDeadline(deadline("visit:1:x-dir", due: 100, closers: ["hosp"])),
                .setDeadline(deadline("visit:1:other", due: 100, closers: ["sup"])),
            ])
            // A visit meets its party's lowest open visit number (numbers, not text; not a party ending alike).
            let visit = AcceptUnit(
                message: message("v1", from: "dir", caseId: "c1"), closes: [.followUpVisit(caseId: "c1", party: "dir")])
            _ = try session.run(.accept(visit))
            #expect(
                Set(try session.store.openDeadlines(caseId: "c1", limit: 10).map(\.item)) == [
                    "visit:10:dir", "visit:1:x-dir", "visit:1:other",
                ])
            // Only a closer ends a plan.
            let close = DeadlineClosing.followUpPlan(caseId: "c1", closer: "hosp")
            #expect(
                try session.run(.closeDeadlines(.followUpPlan(caseId: "c1", closer: "dir"), at: 50))
                    == .closed(count: 0))
            #expect(try session.run(.closeDeadlines(close, at: 50)) == .closed(count: 2))
            #expect(try session.store.openDeadlines(caseId: "c1", limit: 10).map(\.item) == ["visit:1:other"])
        }
    }

    @Test(arguments: Backend.allCases)
    func closingWithoutACaseOrEveryItemOfACase(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            _ = try session.store.run([
                .setDeadline(deadline("answer:police-1:crisis.acknowledged", caseId: nil)),
                .setDeadline(deadline("answer:police-1:crisis.acknowledged", caseId: "c1")),
                .setDeadline(deadline("followup:1", caseId: "c1")),
            ])
            let caseless = DeadlineClosing.withoutCase(item: "answer:police-1:crisis.acknowledged", state: .met)
            #expect(try session.run(.closeDeadlines(caseless, at: 5)) == .closed(count: 1))
            #expect(
                try session.run(.closeDeadlines(.inCase("c1", item: nil, state: .cancelled), at: 6))
                    == .closed(count: 2))
            #expect(try session.store.openDeadlineCount() == 0)
            #expect(throws: (any Error).self) {
                try session.run(.closeDeadlines(.inCase("c1", item: nil, state: .open), at: 7))
            }
        }
    }
}
