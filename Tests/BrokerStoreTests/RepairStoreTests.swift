import Foundation
import GRDB
import Testing

@testable import BrokerStore

/// The store's side of ADMIN-1 REDRIVE, DISCARD and RELEASE (schema v9-repair): each change, its trail events,
/// `node_backlog` and its audit record in one transaction; nothing written when the dead letter is not there.
@Suite struct RepairStoreTests {
    /// m1..m3 of case-x to nodeB; m1 dead-lettered (holding the lane).
    private func deadLetter(_ store: BrokerStore) throws -> [Int64] {
        let results = try store.run((1...3).map { .accept(AcceptUnit(message: message("m\($0)", caseId: "case-x"))) })
        let seqs = results.compactMap(\.storedSeq)
        _ = try store.run([
            .settle(
                Settlement(
                    seq: seqs[0], recipient: "nodeB", caseId: "case-x", at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                    outcome: .deadLettered(reason: "made-up reason", holdCase: true), receiptId: 1, sender: "nodeA",
                    messageId: "m1"))
        ])
        return seqs
    }

    func unit(_ action: RepairUnit.Action, _ event: AuditEvent.Name) -> StoreUnit {
        .repair(
            RepairUnit(
                action: action, at: 3_000, operatorName: "op-made-up",
                audit: AuditEvent(at: 3_000, event: event, node: "nodeB", detail: "operator=op-made-up")))
    }

    private func repaired(_ results: [UnitResult]) -> RepairResult? {
        if case .repaired(let result) = results.first { return result }
        return nil
    }

    @Test func redriveReopensTheDeadLetterReleasesItsLaneAndAuditsInTheSameTransaction() throws {
        try withStore { store, _ in
            let seqs = try deadLetter(store)
            #expect(try store.openDeliveryCounts() == ["nodeB": 2])
            #expect(try store.deadLetterCounts() == ["nodeB": 1])
            #expect(try store.heldLanes(recipient: nil, limit: 10).map(\.waiting) == [2])
            let listed = try store.deadLetters(DeadLetterFilter(reasonContains: "made-up"))
            #expect(listed.map(\.seq) == [seqs[0]])
            let detail = try #require(try store.deadLetter(seq: seqs[0], recipient: "nodeB"))
            #expect(detail.bodyOctets == Array("body of m1".utf8).count)

            let before = try store.exportAudit(since: 0, limit: nil).count
            let result = repaired(
                try store.run([
                    unit(
                        .redrive(seq: seqs[0], recipient: "nodeB", to: nil, check: { _, _ in nil }), .deadLetterRedriven
                    )
                ]))
            guard case .redriven(let delivery, let released)? = result else {
                Issue.record("redrive: \(String(describing: result))")
                return
            }
            #expect(delivery.attempts == 0 && delivery.recipient == "nodeB" && released?.seq == seqs[0])
            #expect(try store.openDeliveryCounts() == ["nodeB": 3])
            #expect(try store.deadLetterCounts().isEmpty)
            #expect(try store.loadHeldCases().isEmpty)
            let audit = try store.exportAudit(since: 0, limit: nil)
            #expect(audit.count == before + 1)
            #expect(audit.last?.entry.event == "dead-letter-redriven" && audit.last?.entry.seq == seqs[0])
            #expect(audit.last?.entry.messageId == "m1")
            let events = try store.trail(sender: "nodeA", messageId: "m1").map(\.event.rawValue)
            #expect(events.contains("dead-lettered") && events.contains("redriven") && events.contains("released"))
            #expect(events.contains("receipt-created"))
            #expect(
                try store.laneDeliveries(recipient: "nodeB", caseId: "case-x", afterSeq: 0, throughSeq: .max, limit: 10)
                    .map(\.seq) == seqs)
            #expect(try store.verifyAudit() == .intact(records: audit.count, lastHash: audit.last!.hash))
        }
    }

    @Test func aRepairOfNothingWritesNothing() throws {
        try withStore { store, _ in
            let seqs = try deadLetter(store)
            let before = try store.exportAudit(since: 0, limit: nil).count
            let results = try store.run([
                unit(.discard(seq: seqs[1], recipient: "nodeB"), .deadLetterDiscarded),
                unit(.release(caseId: "case-y", recipient: "nodeB"), .caseReleased),
                unit(
                    .redrive(seq: seqs[0], recipient: "nodeB", to: "nodeC", check: { _, _ in "made-up refusal" }),
                    .deadLetterRedriven),
            ])
            #expect(results == [.repaired(.notFound), .repaired(.notFound), .repaired(.refused("made-up refusal"))])
            #expect(try store.exportAudit(since: 0, limit: nil).count == before)
            #expect(try store.deadLetterCounts() == ["nodeB": 1])
        }
    }

    @Test func discardClosesForGoodAndRedriveOfAPurgedBodyIsRefused() throws {
        try withStore { store, path in
            let seqs = try deadLetter(store)
            // Retention (another issue) purges bodies by setting them NULL.
            try store.write("purge") { db in
                try db.execute(sql: "UPDATE messages SET body = NULL WHERE seq = ?", arguments: [seqs[0]])
            }
            let purged = try store.run([
                unit(.redrive(seq: seqs[0], recipient: "nodeB", to: nil, check: { _, _ in nil }), .deadLetterRedriven)
            ])
            #expect(purged == [.repaired(.bodyPurged)])
            let detail = try #require(try store.deadLetter(seq: seqs[0], recipient: "nodeB"))
            #expect(detail.bodyOctets == nil && detail.bodySHA256 == nil)
            let discarded = repaired(
                try store.run([unit(.discard(seq: seqs[0], recipient: "nodeB"), .deadLetterDiscarded)]))
            guard case .discarded(_, let released)? = discarded else {
                Issue.record("discard: \(String(describing: discarded))")
                return
            }
            #expect(released?.caseId == "case-x")
            #expect(try store.deadLetterCounts().isEmpty)
            #expect(try store.deadLetters(DeadLetterFilter()).isEmpty)
            #expect(try store.openDeliveryCounts() == ["nodeB": 2])
            _ = path
        }
    }

    @Test func redriveToAnotherNodeOpensItThere() throws {
        try withStore { store, _ in
            let seqs = try deadLetter(store)
            let result = repaired(
                try store.run([
                    unit(
                        .redrive(seq: seqs[0], recipient: "nodeB", to: "nodeC", check: { _, _ in nil }),
                        .deadLetterRedriven)
                ]))
            guard case .redriven(let delivery, let released)? = result else {
                Issue.record("redrive: \(String(describing: result))")
                return
            }
            #expect(delivery.recipient == "nodeC" && released != nil)
            #expect(try store.openDeliveryCounts() == ["nodeB": 2, "nodeC": 1])
            #expect(try store.deadLetterCounts().isEmpty)
            let again = try store.run([
                unit(
                    .redrive(seq: seqs[0], recipient: "nodeB", to: "nodeC", check: { _, _ in nil }), .deadLetterRedriven
                )
            ])
            #expect(again == [.repaired(.notFound)])
        }
    }
}

extension RepairStoreTests {
    /// Migration `v9-repair`: a dead letter written before it stays an open dead letter, counted and listed, and can
    /// be discarded.
    @Test func aDeadLetterOfAnOlderStoreStaysOpenAfterTheMigration() throws {
        try withTempDirectory { dir in
            let path = try olderStore(
                in: dir, upTo: "v8-backlog-by-batch",
                rows: """
                    INSERT INTO messages (seq, sender, message_id, digest, kind, case_id, priority, recipients,
                        accepted_at, body)
                    VALUES (1, 'nodeA', 'm1', x'00', 'k', 'case-x', 0, 'nodeB', 1, x'00');
                    INSERT INTO deliveries (seq, recipient, state, attempts, done_at, reason) VALUES
                        (1, 'nodeB', 2, 3, 2, 'made-up reason');
                    INSERT INTO held_cases (case_id, recipient, seq, since, reason)
                    VALUES ('case-x', 'nodeB', 1, 2, 'made-up reason');
                    """)
            // The mark a v8 broker would have written: the store holds what it acknowledged.
            let epoch = try DatabaseQueue(path: path).read { db in
                [UInt8](try Data.fetchOne(db, sql: "SELECT epoch FROM store_identity") ?? Data())
            }
            _ = try HighWaterMarkFile(
                path: HighWaterMarkFile.path(forStore: path),
                initial: HighWaterMark(epoch: epoch, auditId: 0, auditHash: AuditChain.zeroHash, seq: 1))
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            #expect(try store.deadLetterCounts() == ["nodeB": 1])
            #expect(try store.deadLetters(DeadLetterFilter(recipient: "nodeB")).map(\.attempts) == [3])
            let result = try store.run([unit(.discard(seq: 1, recipient: "nodeB"), .deadLetterDiscarded)])
            guard case .repaired(.discarded(_, let released?)) = result.first else {
                Issue.record("discard: \(result)")
                return
            }
            #expect(released.caseId == "case-x")
            #expect(try store.deadLetterCounts().isEmpty && store.loadHeldCases().isEmpty)
        }
    }
}
