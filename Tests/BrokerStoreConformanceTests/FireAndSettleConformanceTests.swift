import StoreModel
import Testing

/// Fire units, settlements, receipts and the trail.
@Suite struct FireAndSettleConformanceTests {
    @Test(arguments: Backend.allCases)
    func aDeadlineFiresOnceAndItsNoticeIsStoredOnlyThen(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let id = try #require(try session.run(.setDeadline(deadline("answer:node-b:referral.received"))).deadlineId)
            var next = deadline("answer:node-b:referral.received", due: 9_000, level: 1)
            next.closers = ["node-a"]
            func fire(_ noticeId: String, at: Int64) -> StoreUnit {
                .fire(
                    FireUnit(
                        deadlineId: id, at: at, next: next,
                        notice: AcceptUnit(
                            message: message(noticeId, from: "referrald", to: ["node-c"], caseId: "c1"),
                            audit: AuditEvent(at: at, event: .accepted, node: "referrald", messageId: noticeId)),
                        audit: AuditEvent(at: at, event: .escalated, node: "referrald", seq: 1)))
            }
            guard case .fired(let nextId?, .stored(let noticeSeq)?) = try session.run(fire("esc-1", at: 6_000)) else {
                Issue.record("did not fire")
                return
            }
            #expect(try session.store.deadline(id: id)?.state == .fired)
            let stepped = try #require(try session.store.deadline(id: nextId))
            #expect(
                stepped.level == 1 && stepped.dueAt == 9_000 && stepped.closers == ["node-a"] && stepped.state == .open)
            #expect(stepped.notice == notice(1))
            #expect(try session.store.loadOpenDeliveries().map(\.seq) == [noticeSeq])
            // Fired again: not fired, nothing written (no second notice, no record).
            #expect(try session.run(fire("esc-2", at: 6_001)) == .notFired)
            #expect(try session.store.trail(sender: "referrald", messageId: "esc-2").isEmpty)
            #expect(
                try session.store.exportAudit(since: .min, limit: nil).map(\.entry.event) == ["accepted", "escalated"])
            // The last step: exhausted; an unknown id is not fired.
            #expect(
                try session.run(.fire(FireUnit(deadlineId: nextId, at: 9_001, next: nil)))
                    == .fired(nextId: nil, notice: nil))
            #expect(try session.store.deadline(id: nextId)?.state == .exhausted)
            #expect(try session.run(.fire(FireUnit(deadlineId: 9_999, at: 1, next: nil))) == .notFired)
        }
    }

    @Test(arguments: Backend.allCases)
    func aSettlementWritesTheGivenReceiptOnce(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let seq = try #require(try session.store(message("m1", to: ["node-b", "node-c"], caseId: "c1")))
            _ = try session.run(.setDeadline(deadline("delivery:\(seq):node-b", armedBy: seq)))
            #expect(try session.store.lastReceiptId() == 0)
            var unit = delivered(seq, receipt: 41, caseId: "c1")
            if case .settle(var settlement) = unit {
                settlement.audit = AuditEvent(at: 2_000, event: .acked, node: "node-b", seq: seq)
                unit = .settle(settlement)
            }
            #expect(try session.run(unit) == .settled)
            let receipt = try #require(unit.receipt)
            #expect(try session.store.loadUnconfirmedReceipts() == [receipt])
            #expect(
                receipt
                    == ReceiptRecord(
                        id: 41, sender: "node-a", seq: seq, messageId: "m1", recipient: "node-b", outcome: 0,
                        at: 2_000, reason: nil))
            // Its delivery deadline is met.
            #expect(try session.store.openDeadlineCount() == 0)
            // Settled again (with another number), or unknown: not pending, nothing written.
            #expect(try session.run(delivered(seq, receipt: 42, caseId: "c1")) == .notPending)
            #expect(try session.run(delivered(seq, "nobody", receipt: 42, caseId: "c1")) == .notPending)
            #expect(try session.store.loadUnconfirmedReceipts() == [receipt])
            #expect(try session.store.exportAudit(since: .min, limit: nil).count == 1)
            // A dead letter with a hold.
            let deadUnit = deadLettered(seq, "node-c", hold: true, receipt: 43, caseId: "c1")
            #expect(try session.run(deadUnit) == .settled)
            let dead = try #require(deadUnit.receipt)
            #expect(dead.outcome == 1 && dead.reason == "max attempts")
            #expect(
                try session.store.loadHeldCases()
                    == [HeldCase(caseId: "c1", recipient: "node-c", seq: seq, since: 3_000, reason: "max attempts")])
            #expect(try session.store.deadLetterCounts() == ["node-c": 1])
            #expect(try session.store.loadOpenDeliveries().isEmpty)
            // The numbers given are the store's last, also after a restart.
            try session.reopen()
            #expect(try session.store.lastReceiptId() == 43)
            // Confirmed receipts leave the unconfirmed list (twice or unknown: harmless).
            #expect(try session.store.loadUnconfirmedReceipts() == [receipt, dead])
            let confirmed = try session.store.run([
                .confirmReceipt(id: receipt.id, at: 4_000), .confirmReceipt(id: receipt.id, at: 4_001),
                .confirmReceipt(id: 9_999, at: 4_002),
            ])
            #expect(confirmed == [.done, .done, .done])
            #expect(try session.store.loadUnconfirmedReceipts() == [dead])
        }
    }

    /// The broker's own notices: their receipts are written confirmed by the settlement itself.
    @Test(arguments: Backend.allCases)
    func aReceiptCanBeWrittenConfirmed(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let seq = try #require(try session.store(message("m1", to: ["node-b"])))
            #expect(try session.run(delivered(seq, at: 2_000, receipt: 5, confirmed: true)) == .settled)
            #expect(try session.store.loadUnconfirmedReceipts().isEmpty)
            #expect(try session.store.lastReceiptId() == 5)
            let trail = try session.store.trail(sender: "node-a", messageId: "m1")
            #expect(trail.suffix(2).map(\.event) == [.receiptCreated, .receiptConfirmed])
            #expect(trail.last?.at == 2_000)
        }
    }

    @Test(arguments: Backend.allCases)
    func theTrailOfAMessageAndOfACase(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let seq = try #require(try session.store(message("m1", to: ["node-b"], caseId: "c1", priority: 1, at: 100)))
            let other = try #require(try session.store(message("m2", to: ["node-b"], caseId: "c1", at: 120)))
            _ = try session.store.run([
                .trail(
                    TrailEventRecord(at: 150, seq: seq, recipient: "node-b", event: .nacked, attempt: 1, detail: "busy")
                ),
                .trail(
                    TrailEventRecord(
                        at: 160, seq: seq, recipient: "node-b", event: .deliveryAttempt, attempt: 2, detail: nil)),
                delivered(seq, at: 170, first: 140, caseId: "c1"),
            ])
            let trail = try session.store.trail(sender: "node-a", messageId: "m1")
            #expect(
                trail.map(\.event) == [.accepted, .deliveryAttempt, .nacked, .deliveryAttempt, .acked, .receiptCreated])
            #expect(trail[0].detail == "kind=referral.request priority=urgent case=c1 recipients=node-b")
            #expect(trail.allSatisfy { $0.seq == seq && $0.messageId == "m1" && $0.sender == "node-a" })
            let receipt = try #require(try session.store.loadUnconfirmedReceipts().first)
            _ = try session.run(.confirmReceipt(id: receipt.id, at: 180))
            #expect(try session.store.trail(sender: "node-a", messageId: "m1").last?.event == .receiptConfirmed)
            // The case's trail merges its messages in time order.
            #expect(try session.store.trail(caseId: "c1").filter { $0.event == .accepted }.map(\.seq) == [seq, other])
            #expect(try session.store.trail(sender: "node-a", messageId: "unknown").isEmpty)
            #expect(try session.store.trail(caseId: "unknown").isEmpty)
        }
    }
}
