import Testing

@testable import BrokerStore

/// What units do only on a condition: an accept unit's deadlines and closes only when its message is stored,
/// a fire unit's notice only when its deadline fired, a delivery deadline met by the settlement of that delivery.
@Suite struct ConditionalDeadlineTests {
    func deadline(_ item: DeadlineItem, due: Int64 = 5_000, caseId: String? = "c1", armedBy: Int64? = nil)
        -> NewDeadline
    {
        NewDeadline(caseId: caseId, item: item, dueAt: due, notice: testNotice(armedBy), policy: "x")
    }

    func accept(_ message: NewMessage, deadlines: [NewDeadline] = [], closes: [DeadlineClosing] = []) -> StoreUnit {
        .accept(AcceptUnit(message: message, deadlines: deadlines, closes: closes))
    }

    @Test func deadlinesOfAStoredAcceptGetItsSeqAndNotOfADuplicate() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let first = try store.run([
                accept(
                    message("m1", caseId: "c1"),
                    deadlines: [
                        deadline(.deliveryOfArmingMessage(to: "nodeB")),
                        deadline(.text("answer:nodeB:referral.received")),
                    ])
            ])
            guard case .accepted(.stored(let seq)) = first[0] else {
                Issue.record("not stored: \(first)")
                return
            }
            let open = try store.openDeadlines(caseId: "c1")
            #expect(open.map(\.item).contains("delivery:\(seq):nodeB"))
            #expect(open.allSatisfy { $0.notice?.armedBy == seq && $0.policy == "x" })
            let again = try store.run([
                accept(message("m1", caseId: "c1"), deadlines: [deadline(.deliveryOfArmingMessage(to: "nodeB"))])
            ])
            #expect(again == [.accepted(.duplicate(seq: seq, recipients: 1))])
            #expect(try store.openDeadlineCount() == 2)
            // The delivery deadline is met by the ACK; the answer deadline by a stored answer only.
            _ = try store.run([
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: "c1", at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: 1, sender: "nodeA", messageId: "m1"
                    ))
            ])
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["answer:nodeB:referral.received"])
            let answer = DeadlineClosing.inCase("c1", item: "answer:nodeB:referral.received", state: .met)
            _ = try store.run([accept(message("m1", caseId: "c1"), closes: [answer])])
            #expect(try store.openDeadlineCount() == 1)
            _ = try store.run([accept(message("m2", from: "nodeB", to: ["nodeA"], caseId: "c1"), closes: [answer])])
            #expect(try store.openDeadlineCount() == 0)
        }
    }

    /// A settlement meets exactly the deadline of its delivery, with a case or without, and only when it closed the
    /// delivery.
    @Test func aDeliveryDeadlineIsMetByTheSettlementOfThatDelivery() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let stored = try store.run([
                accept(
                    message("m1", to: ["nodeB", "nodeC"], caseId: "c1"),
                    deadlines: [
                        deadline(.deliveryOfArmingMessage(to: "nodeB")),
                        deadline(.deliveryOfArmingMessage(to: "nodeC")),
                    ]),
                accept(message("m2"), deadlines: [deadline(.deliveryOfArmingMessage(to: "nodeB"), caseId: nil)]),
            ])
            guard case .accepted(.stored(let seq1)) = stored[0], case .accepted(.stored(let seq2)) = stored[1] else {
                Issue.record("not stored: \(stored)")
                return
            }
            #expect(try store.openDeadlineCount() == 3)
            func delivered(_ seq: Int64, _ recipient: String, receipt: Int64, caseId: String? = "c1") -> StoreUnit {
                .settle(
                    Settlement(
                        seq: seq, recipient: recipient, caseId: caseId, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: receipt, sender: "nodeA", messageId: "m1"))
            }
            _ = try store.run([delivered(seq1, "nodeB", receipt: 1), delivered(seq2, "nodeB", receipt: 2, caseId: nil)])
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["delivery:\(seq1):nodeC"])
            #expect(try store.openDeadlineCount() == 1)
            // Settled again (not pending any more): nothing, not even the other recipient's deadline.
            _ = try store.run([delivered(seq1, "nodeB", receipt: 3)])
            #expect(try store.openDeadlineCount() == 1)
            // A dead letter does not meet it.
            _ = try store.run([
                .settle(
                    Settlement(
                        seq: seq1, recipient: "nodeC", caseId: "c1", at: 3_000, attempts: 5, firstAttemptAt: 1_500,
                        outcome: .deadLettered(reason: "r", holdCase: false), receiptId: 4, sender: "nodeA",
                        messageId: "m1"))
            ])
            #expect(try store.openDeadlineCount() == 1)
        }
    }

    /// A case-less delivery deadline written earlier in the same batch (a fired deadline's next step) is met too:
    /// the store looks for case-less deadlines once per batch and then keeps track of the ones it inserts.
    @Test func aCaselessDeliveryDeadlineSetInTheSettlingBatchIsMet() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let stored = try store.run([accept(message("m1")), accept(message("m2"))])
            guard case .accepted(.stored(let seq1)) = stored[0], case .accepted(.stored(let seq2)) = stored[1] else {
                Issue.record("not stored: \(stored)")
                return
            }
            func delivered(_ seq: Int64, receipt: Int64) -> StoreUnit {
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: nil, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: receipt, sender: "nodeA", messageId: "m1"))
            }
            let results = try store.run([
                delivered(seq1, receipt: 1),
                .setDeadline(deadline(.text("delivery:\(seq2):nodeB"), caseId: nil, armedBy: seq2)),
                delivered(seq2, receipt: 2),
            ])
            #expect(results.first == .settled && results.last == .settled)
            #expect(try store.openDeadlineCount() == 0)
        }
    }

    @Test func aNoticeIsStoredOnlyWhenItsDeadlineFires() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let added = try store.run([
                .setDeadline(deadline(.text("answer:nodeB:referral.received"), due: 10, armedBy: 1))
            ])
            guard case .deadlineSet(let id) = added[0] else {
                Issue.record("\(added)")
                return
            }
            let notice = message("esc:1:a:nodeB:0", from: "referrald", to: ["nodeC"], caseId: "c1")
            let escalated = AuditEvent(at: 20, event: .escalated, node: "referrald")
            let fired = try store.run([
                .fire(
                    FireUnit(deadlineId: id, at: 20, next: nil, notice: AcceptUnit(message: notice), audit: escalated))
            ])
            guard case .fired(nil, .stored?) = fired[0] else {
                Issue.record("notice not stored: \(fired)")
                return
            }
            let again = try store.run([
                .fire(
                    FireUnit(
                        deadlineId: id, at: 30, next: nil,
                        notice: AcceptUnit(message: message("esc:1:a:nodeB:0b", from: "referrald", to: ["nodeC"])),
                        audit: escalated))
            ])
            #expect(again == [.notFired])
            #expect(try store.trail(sender: "referrald", messageId: "esc:1:a:nodeB:0b").isEmpty)
            #expect(try store.exportAudit(since: 0, limit: nil).map(\.entry.event) == ["escalated"])
        }
    }
}
