import Foundation
import GRDB
import Testing

@testable import BrokerStore

/// Migration `v10-node-overrides`: the operators' node overrides, NODE-BACKLOG's page and NODE-MOVE-BACKLOG's one
/// transaction (counts exact, trail and audit in the same commit).
@Suite struct NodeOverrideStoreTests {
    static let audit = AuditEvent(at: 5_000, event: .nodeSuspended, node: "nodeB", detail: "operator=wang.li reason=x")

    @Test func anOverrideIsWrittenWithItsAuditRecordAndSurvivesAReopen() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let override = NodeOverride(
                node: "nodeB", suspension: NodeOverride.Suspension(reason: "x", by: "wang.li", at: 5_000),
                key: NodeOverride.KeyRotation(
                    publicKey: String(repeating: "a", count: 40), directoryKey: String(repeating: "b", count: 40),
                    previousKey: String(repeating: "b", count: 40), previousUntil: 9_000, by: "wang.li", at: 5_000))
            do {
                let store = try BrokerStore(path: path)
                _ = try store.run([.nodeOverride(node: "nodeB", override, audit: Self.audit)])
                #expect(try store.exportAudit(since: 0, limit: nil).map(\.entry.event) == ["node-suspended"])
                try store.close()
            }
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            #expect(try store.nodeOverrides() == [override])
            _ = try store.run([.nodeOverride(node: "nodeB", nil, audit: nil)])
            #expect(try store.nodeOverrides().isEmpty)
        }
    }

    @Test func aBacklogPageShowsHeadersInSeqOrderAndTheOldestWaiting() throws {
        try withStore { store, _ in
            _ = try store.run((1...5).map { .accept(AcceptUnit(message: message("m\($0)", at: 1_000 + Int64($0)))) })
            let first = try store.backlogPage(recipient: "nodeB", afterSeq: 0, limit: 2)
            #expect(first.deliveries.map(\.messageId) == ["m1", "m2"] && first.more)
            #expect(first.oldestWaiting == 1_001)
            let last = try store.backlogPage(recipient: "nodeB", afterSeq: first.deliveries[1].seq, limit: 10)
            #expect(last.deliveries.map(\.messageId) == ["m3", "m4", "m5"] && !last.more)
        }
    }

    @Test func aMoveGivesOpenDeliveriesOutsideHeldLanesToTheReplacementInOneTransaction() throws {
        try withStore { store, _ in
            let accepted = try store.run([
                .accept(AcceptUnit(message: message("m1", caseId: "case-held"))),
                .accept(AcceptUnit(message: message("m2", caseId: "case-held"))),
                .accept(AcceptUnit(message: message("m3", caseId: "case-ok"))),
                .accept(AcceptUnit(message: message("m4"))),
                .accept(AcceptUnit(message: message("m5", to: ["nodeB", "nodeB2"]))),
            ])
            let seqs = accepted.compactMap(\.storedSeq)
            // m1 is dead-lettered and holds case-held for nodeB: m2 waits behind it.
            _ = try store.run([
                .settle(
                    Settlement(
                        seq: seqs[0], recipient: "nodeB", caseId: "case-held", at: 2_000, attempts: 3,
                        firstAttemptAt: 1_500, outcome: .deadLettered(reason: "max attempts", holdCase: true),
                        receiptId: 1, sender: "nodeA", messageId: "m1"))
            ])
            let deadline = NewDeadline(
                caseId: "case-ok", item: .text("delivery:\(seqs[2]):nodeB"), dueAt: 9_000, notice: testNotice(seqs[2]),
                policy: "p")
            _ = try store.run([.setDeadline(deadline)])
            let audit = AuditEvent(
                at: 3_000, event: .backlogMoved, node: "nodeB", recipient: "nodeB2", detail: "operator=o")
            let results = try store.run([
                .moveBacklog(BacklogMove(from: "nodeB", to: "nodeB2", toRegion: "350102", at: 3_000, audit: audit))
            ])
            guard case .moved(let moved) = results.first else {
                Issue.record("not moved: \(results)")
                return
            }
            // m2 (held) and m5 (nodeB2 has its own delivery of it) stay with nodeB.
            #expect(moved.seqs == [seqs[2], seqs[3]])
            #expect(moved.fromOpen == 2 && moved.toOpen == 3)
            #expect(try store.openDeliveryCounts() == ["nodeB": 2, "nodeB2": 3])
            #expect(
                try store.openDeliveries(recipient: "nodeB2", afterSeq: 0, limit: 10).map(\.seq) == [
                    seqs[2], seqs[3], seqs[4],
                ])
            let trail = try store.trail(sender: "nodeA", messageId: "m3")
            #expect(
                trail.contains { $0.event == .moved && $0.recipient == "nodeB2" && $0.detail == "from nodeB to nodeB2" }
            )
            let records = try store.exportAudit(since: 0, limit: nil).map(\.entry)
            #expect(records.last?.event == "backlog-moved" && records.last?.detail == "operator=o moved=2")
            #expect(try store.openDeadlines(caseId: "case-ok", limit: 10).map(\.item) == ["delivery:\(seqs[2]):nodeB2"])
            #expect(
                try store.verifyAudit()
                    == .intact(
                        records: records.count,
                        lastHash: try #require(try store.exportAudit(since: 0, limit: nil).last?.hash)))
        }
    }
}

/// What a move of a large backlog costs: one transaction, whatever the count (printed, not asserted).
@Suite struct BacklogMoveScaleTests {
    @Test func aLargeBacklogMovesInOneTransaction() throws {
        try withStore { store, _ in
            let count = 20_000
            _ = try store.run(
                (1...count).map { .accept(AcceptUnit(message: message("m\($0)", caseId: "c\($0 % 50)"))) })
            let audit = AuditEvent(at: 3_000, event: .backlogMoved, node: "nodeB", recipient: "nodeB2")
            let clock = ContinuousClock()
            let start = clock.now
            let results = try store.run([
                .moveBacklog(BacklogMove(from: "nodeB", to: "nodeB2", toRegion: nil, at: 3_000, audit: audit))
            ])
            let elapsed = start.duration(to: clock.now)
            guard case .moved(let moved) = results.first else {
                Issue.record("not moved: \(results)")
                return
            }
            #expect(moved.seqs.count == count && moved.fromOpen == 0 && moved.toOpen == count)
            #expect(try store.openDeliveryCounts() == ["nodeB2": count])
            print("backlog move: \(count) open deliveries moved in one transaction in \(elapsed)")
        }
    }
}
