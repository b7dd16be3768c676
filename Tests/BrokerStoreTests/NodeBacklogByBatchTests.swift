import Foundation
import GRDB
import Testing

@testable import BrokerStore

/// Schema v8: the store keeps `node_backlog` itself, one upsert per node per batch (`BacklogDeltas`), no trigger.
@Suite struct NodeBacklogByBatchTests {
    private static let v7Rows = """
        INSERT INTO messages (seq, sender, message_id, digest, kind, priority, recipients, accepted_at, body)
        VALUES (1, 'nodeA', 'm1', x'00', 'k', 0, 'nodeB', 1, x'00');
        INSERT INTO deliveries (seq, recipient, state) VALUES (1, 'nodeB', 0);
        """

    private func settle(_ seq: Int64, to recipient: String = "nodeB", receipt: Int64) -> StoreUnit {
        .settle(
            Settlement(
                seq: seq, recipient: recipient, caseId: nil, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                outcome: .delivered, receiptId: receipt, sender: "nodeA", messageId: "m"))
    }

    private func counts(_ store: BrokerStore) throws -> [String] {
        let deliveries = try store.openDeliveryCounts()
        let receipts = try store.unconfirmedReceiptCounts()
        return Set(deliveries.keys).union(receipts.keys).sorted().map {
            "\($0)=\(deliveries[$0] ?? 0)/\(receipts[$0] ?? 0)"
        }
    }

    @Test func oneBatchOpeningAndClosingManyRowsOfANodeCountsThemAll() throws {
        try withStore { store, _ in
            let first = try store.run([
                .accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"]))),
                .accept(AcceptUnit(message: message("m2"))),
                .accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"]))),  // a duplicate opens nothing
            ])
            let seq = try #require(first[0].storedSeq)
            let second = try #require(first[1].storedSeq)
            #expect(try counts(store) == ["nodeB=2/0", "nodeC=1/0"])
            _ = try store.run([
                settle(seq, receipt: 1), settle(seq, receipt: 2),  // the second finds it settled: nothing
                .accept(AcceptUnit(message: message("m3"))), settle(second, receipt: 3),
                .confirmReceipt(id: 1, at: 3_000), .confirmReceipt(id: 1, at: 3_001),
            ])
            #expect(try counts(store) == ["nodeA=0/1", "nodeB=1/0", "nodeC=1/0"])
        }
    }

    @Test func aBatchRolledBackLeavesTheCountsAsTheyWere() throws {
        try withStore { store, _ in
            _ = try store.run([.accept(AcceptUnit(message: message("m1")))])
            // A deadline outside an accept unit that names no message fails the whole batch.
            let orphan = NewDeadline(
                caseId: "c1", item: .text("x"), dueAt: 9_000, notice: testNotice(nil), policy: "p")
            #expect(throws: (any Error).self) {
                try store.run([.accept(AcceptUnit(message: message("m2"))), .setDeadline(orphan)])
            }
            #expect(try counts(store) == ["nodeB=1/0"])
            let seq = try #require(try store.run([.accept(AcceptUnit(message: message("m3")))])[0].storedSeq)
            _ = try store.run([settle(seq, receipt: 1)])
            #expect(try counts(store) == ["nodeA=0/1", "nodeB=1/0"])
        }
    }

    /// A v7 store (counted by triggers) keeps its counts, loses the triggers that count opening and closing, and is
    /// counted by its batches from then on.
    @Test func aV7StoreKeepsItsCountsAndIsCountedByBatchesAfterwards() throws {
        try withTempDirectory { dir in
            // One open delivery, counted by v7's trigger.
            let path = try olderStore(in: dir, upTo: "v7-per-node-windows", rows: Self.v7Rows)
            // The mark a v7 broker would have written: the store holds what it acknowledged.
            let epoch = try DatabaseQueue(path: path).read { db in
                [UInt8](try Data.fetchOne(db, sql: "SELECT epoch FROM store_identity") ?? Data())
            }
            _ = try HighWaterMarkFile(
                path: HighWaterMarkFile.path(forStore: path),
                initial: HighWaterMark(epoch: epoch, auditId: 0, auditHash: AuditChain.zeroHash, seq: 1))
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            let triggers = try store.dbQueue.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            }
            #expect(triggers == ["audit_no_delete", "audit_no_update", "deliveries_deleted", "receipts_deleted"])
            #expect(try counts(store) == ["nodeB=1/0"])
            _ = try store.run([settle(1, receipt: 1), .accept(AcceptUnit(message: message("m2")))])
            #expect(try counts(store) == ["nodeA=0/1", "nodeB=1/0"])
        }
    }
}
