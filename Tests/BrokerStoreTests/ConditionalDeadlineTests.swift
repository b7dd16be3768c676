import Testing

@testable import BrokerStore

/// The conditional deadline ops of escalation: written only when the accept before them stored its message,
/// notices only when their deadline fired, delivery deadlines met by the ACK.
@Suite struct ConditionalDeadlineTests {
    func deadline(_ item: String, due: Int64 = 5_000, caseId: String? = "c1") -> NewDeadline {
        NewDeadline(caseId: caseId, item: item, dueAt: due, policy: "v1;referral.request;{seq};a;m;5000;x")
    }

    @Test func deadlinesOfAStoredAcceptGetItsSeqAndNotOfADuplicate() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let first = try store.apply([
                .accept(message("m1", caseId: "c1")), .addDeadlineIfStored(deadline("delivery:{seq}:nodeB")),
                .addDeadlineIfStored(deadline("answer:nodeB:referral.received")),
            ])
            guard case .accept(.stored(let seq)) = first[0] else {
                Issue.record("not stored: \(first)")
                return
            }
            let open = try store.openDeadlines(caseId: "c1")
            #expect(open.map(\.item).contains("delivery:\(seq):nodeB"))
            #expect(open.allSatisfy { $0.policy == "v1;referral.request;\(seq);a;m;5000;x" })
            let again = try store.apply([
                .accept(message("m1", caseId: "c1")), .addDeadlineIfStored(deadline("delivery:{seq}:nodeB")),
            ])
            #expect(again[1] == .none)
            #expect(try store.openDeadlineCount() == 2)
            // The delivery deadline is met by the ACK; the answer deadline by a stored answer only.
            _ = try store.apply([
                .delivered(seq: seq, recipient: "nodeB", at: 2_000, attempts: 1, firstAttemptAt: 1_500),
                .closeDeliveryDeadline(seq: seq, recipient: "nodeB", at: 2_000),
            ])
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["answer:nodeB:referral.received"])
            _ = try store.apply([
                .accept(message("m1", caseId: "c1")),
                .closeDeadlinesIfStored(caseId: "c1", item: "answer:nodeB:referral.received", state: .met, at: 3),
            ])
            #expect(try store.openDeadlineCount() == 1)
            _ = try store.apply([
                .accept(message("m2", from: "nodeB", to: ["nodeA"], caseId: "c1")),
                .closeDeadlinesIfStored(caseId: "c1", item: "answer:nodeB:referral.received", state: .met, at: 3),
            ])
            #expect(try store.openDeadlineCount() == 0)
        }
    }

    /// The UPDATE that meets a delivery deadline binds the case id read by its `.delivered` when it follows it,
    /// and looks the message up otherwise: both meet exactly the deadline of that delivery, with a case or without.
    @Test func aDeliveryDeadlineIsMetWithOrWithoutItsDeliveredOpBeforeIt() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let stored = try store.apply([
                .accept(message("m1", to: ["nodeB", "nodeC"], caseId: "c1")),
                .addDeadlineIfStored(deadline("delivery:{seq}:nodeB")),
                .addDeadlineIfStored(deadline("delivery:{seq}:nodeC")),
                .accept(message("m2")), .addDeadlineIfStored(deadline("delivery:{seq}:nodeB", caseId: nil)),
            ])
            guard case .accept(.stored(let seq1)) = stored[0], case .accept(.stored(let seq2)) = stored[3] else {
                Issue.record("not stored: \(stored)")
                return
            }
            #expect(try store.openDeadlineCount() == 3)
            // The same batch: the first with the case id of its delivery, the second (other recipient, not yet
            // delivered) through the message; a deadline of another delivery is left open.
            let closed = try store.apply([
                .delivered(seq: seq1, recipient: "nodeB", at: 2_000, attempts: 1, firstAttemptAt: 1_500),
                .closeDeliveryDeadline(seq: seq1, recipient: "nodeB", at: 2_000),
                .closeDeliveryDeadline(seq: seq2, recipient: "nodeC", at: 2_000),
                .delivered(seq: seq2, recipient: "nodeB", at: 2_000, attempts: 1, firstAttemptAt: 1_500),
                .closeDeliveryDeadline(seq: seq2, recipient: "nodeB", at: 2_000),
            ])
            #expect(closed[1] == .closedDeadlines(count: 1))
            #expect(closed[2] == .closedDeadlines(count: 0))
            #expect(closed[4] == .closedDeadlines(count: 1))
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["delivery:\(seq1):nodeC"])
            let alone = try store.apply([.closeDeliveryDeadline(seq: seq1, recipient: "nodeC", at: 3_000)])
            #expect(alone == [.closedDeadlines(count: 1)])
            #expect(try store.openDeadlineCount() == 0)
        }
    }

    @Test func aNoticeIsStoredOnlyWhenItsDeadlineFires() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let added = try store.apply([.addDeadline(deadline("answer:nodeB:referral.received", due: 10))])
            guard case .deadline(let id) = added[0] else {
                Issue.record("\(added)")
                return
            }
            let notice = message("esc:1:a:nodeB:0", from: "referrald", to: ["nodeC"], caseId: "c1")
            let fired = try store.apply([
                .fireDeadline(id: id, at: 20, next: nil), .acceptIfFired(notice),
                .auditIfFired(AuditEvent(at: 20, event: AuditEvent.Name.escalated, node: "referrald")),
            ])
            guard case .accept(.stored) = fired[1] else {
                Issue.record("notice not stored: \(fired)")
                return
            }
            let again = try store.apply([
                .fireDeadline(id: id, at: 30, next: nil),
                .acceptIfFired(message("esc:1:a:nodeB:0b", from: "referrald", to: ["nodeC"])),
            ])
            #expect(again == [.notFired, .none])
            #expect(try store.trail(sender: "referrald", messageId: "esc:1:a:nodeB:0b").isEmpty)
        }
    }
}
