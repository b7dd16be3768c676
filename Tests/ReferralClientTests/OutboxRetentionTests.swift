import Foundation
import GRDB
import ReferralProtocol
import Testing

@testable import ReferralClient

/// Issue 8, item 22: an accepted message's body stays in the outbox until every recipient's receipt is in, and a
/// broker store with a new epoch (its operator accepted the loss of what it had acknowledged, 1/RBP §7.2) puts
/// the accepted messages without every receipt back in the queue, with their ids and content.
@Suite struct OutboxRetentionTests {
    @Test func anAcceptedBodyStaysUntilEveryRecipientOfACCEPTEDHasAReceipt() async throws {
        try await withStore { store in
            // One role address that the broker resolved to two nodes: ACCEPTED says 2.
            _ = try await store.enqueue([outgoing("m-1", to: ["role:health/*@350102"], body: "made-up one")], now: 1)
            try apply(store, answers: [.accepted(id: "m-1", seq: 7, duplicate: false, recipients: 2)])
            #expect(try body(store, "m-1") == Array("made-up one".utf8), "accepted, no receipt yet")

            try apply(store, receipts: [receipt(1, "m-1", to: "test-b")])
            // The same recipient's receipt again (another number, as after a resend) is still one recipient.
            try apply(store, receipts: [receipt(1, "m-1", to: "test-b"), receipt(2, "m-1", to: "test-b")])
            #expect(try body(store, "m-1") != nil, "one of two recipients has a receipt")

            try apply(store, receipts: [receipt(3, "m-1", to: "test-d", delivered: false)])
            #expect(try body(store, "m-1") == nil, "a dead letter is a receipt too: every recipient has one")
            #expect(try store.outboxEntry(id: "m-1")?.state == .accepted)
        }
    }

    @Test func receiptsBeforeTheAcceptedAnswerAndABrokerThatDoesNotCount() async throws {
        try await withStore { store in
            _ = try await store.enqueue([outgoing("m-1", to: ["test-b", "test-c"]), outgoing("m-2")], now: 1)
            // The first ACCEPTED was lost; the receipts came before the duplicate's answer.
            try apply(store, receipts: [receipt(1, "m-2", to: "test-b")])
            try apply(store, answers: [.accepted(id: "m-2", seq: 8, duplicate: true, recipients: 1)])
            #expect(try body(store, "m-2") == nil)
            // Without `recipients` (an older broker), one recipient per address.
            try apply(store, answers: [.accepted(id: "m-1", seq: 7, duplicate: false)])
            try apply(store, receipts: [receipt(2, "m-1", to: "test-b")])
            #expect(try body(store, "m-1") != nil)
            try apply(store, receipts: [receipt(3, "m-1", to: "test-c")])
            #expect(try body(store, "m-1") == nil)
        }
    }

    /// Receipts stored before the answer are counted against the count that answer gives (here 2 for one role
    /// address), not against the addresses: the first answer's UPDATE decides with ACCEPTED's own count.
    @Test func receiptsBeforeTheAnswerAreCountedAgainstTheAnswersRecipients() async throws {
        try await withStore { store in
            _ = try await store.enqueue(
                [outgoing("m-1", to: ["role:health/*@350102"]), outgoing("m-2", to: ["role:health/*@350102"])], now: 1)
            try apply(
                store,
                receipts: [
                    receipt(1, "m-1", to: "test-b"), receipt(2, "m-1", to: "test-b"), receipt(3, "m-2", to: "test-b"),
                    receipt(4, "m-2", to: "test-c"),
                ])
            try apply(
                store,
                answers: [
                    .accepted(id: "m-1", seq: 7, duplicate: true, recipients: 2),
                    .accepted(id: "m-2", seq: 8, duplicate: true, recipients: 2),
                ])
            #expect(try body(store, "m-1") != nil, "two receipts, one recipient: one of two")
            #expect(try body(store, "m-2") == nil, "both recipients had a receipt before the answer")
        }
    }

    @Test func aNewBrokerStoreEpochRequeuesTheAcceptedMessagesWithoutEveryReceipt() async throws {
        try await withStore { store in
            _ = try await store.enqueue(
                [
                    outgoing("m-1"), outgoing("m-2", to: ["test-b", "test-c"], caseId: caseId, body: "made-up two"),
                    outgoing("m-3", body: "made-up three"), outgoing("m-4"),
                ], now: 1)
            try apply(
                store,
                answers: [
                    .accepted(id: "m-1", seq: 1, duplicate: false, recipients: 1),
                    .accepted(id: "m-2", seq: 2, duplicate: false, recipients: 2),
                    .accepted(id: "m-3", seq: 3, duplicate: false, recipients: 1),
                ],
                receipts: [receipt(1, "m-1", to: "test-b"), receipt(2, "m-2", to: "test-b")])
            let first = String(repeating: "a", count: 32)
            #expect(try store.noteBrokerStore(first) == nil, "the first epoch seen is no news")
            #expect(try store.noteBrokerStore(first) == nil)
            #expect(try store.queuedOutbox(after: 0, limit: 10).map(\.id) == ["m-4"])

            // m-1 has every receipt, m-4 was never accepted: m-2 (one of two receipts) and m-3 (none) go again.
            let second = String(repeating: "b", count: 32)
            #expect(try store.noteBrokerStore(second) == BrokerStoreLoss(requeued: ["m-2", "m-3"], withoutBody: []))
            #expect(try store.noteBrokerStore(second) == nil, "recorded: the next WELCOME is no news")
            let queued = try store.queuedOutbox(after: 0, limit: 10)
            #expect(queued.map(\.id) == ["m-2", "m-3", "m-4"], "in their first commit order")
            let again = try #require(queued.first)
            #expect(again.to == ["test-b", "test-c"] && again.caseId == caseId)
            #expect(again.body == Array("made-up two".utf8))
            #expect(try store.outboxEntry(id: "m-2")?.seq == nil)

            // The broker that forgot them accepts them as new (new seqs; receipt numbers are never given twice);
            // m-2's body stays until test-c's receipt too.
            try apply(
                store,
                answers: [
                    .accepted(id: "m-2", seq: 1, duplicate: false, recipients: 2),
                    .accepted(id: "m-3", seq: 2, duplicate: false, recipients: 1),
                ],
                receipts: [receipt(3, "m-2", to: "test-b", seq: 1)])
            #expect(try store.outboxEntry(id: "m-2")?.outcome == .accepted(seq: 1, duplicate: false))
            #expect(try body(store, "m-2") != nil)
            try apply(store, receipts: [receipt(4, "m-2", to: "test-c", seq: 1)])
            #expect(try body(store, "m-2") == nil)
        }
    }

    @Test func messagesAcceptedBeforeBodiesWereKeptAreNamedNotRequeued() async throws {
        try await withStore { store in
            _ = try await store.enqueue([outgoing("m-1")], now: 1)
            try apply(store, answers: [.accepted(id: "m-1", seq: 1, duplicate: false, recipients: 1)])
            // As an older version left it: accepted, body dropped, no receipt.
            try await store.write("drop body") { db in try db.execute(sql: "UPDATE outbox SET body = NULL") }
            _ = try store.noteBrokerStore(String(repeating: "a", count: 32))
            #expect(
                try store.noteBrokerStore(String(repeating: "b", count: 32))
                    == BrokerStoreLoss(requeued: [], withoutBody: ["m-1"]))
            #expect(try store.queuedCount() == 0)
        }
    }

    private let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    private func withStore(_ body: (NodeStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        try await body(store)
    }

    private func apply(_ store: NodeStore, answers: [OutboxAnswer] = [], receipts: [DeliveryReceipt] = []) throws {
        var batch = StoreBatch()
        batch.answers = answers
        batch.receipts = receipts
        _ = try store.apply(batch, now: 10)
    }

    private func receipt(
        _ number: Int64, _ id: String, to recipient: String, seq: Int64 = 7, delivered: Bool = true
    ) -> DeliveryReceipt {
        DeliveryReceipt(
            receipt: number, seq: seq, messageId: id, recipient: recipient, delivered: delivered, at: 5,
            reason: delivered ? nil : "made-up reason")
    }

    /// The outbox row's body as stored, nil once dropped.
    private func body(_ store: NodeStore, _ id: String) throws -> [UInt8]? {
        try store.read("read body") { db in
            try Data.fetchOne(db, sql: "SELECT body FROM outbox WHERE id = ?", arguments: [id]).map { [UInt8]($0) }
        }
    }
}
