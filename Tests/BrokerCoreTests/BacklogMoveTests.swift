import BrokerCore
import ReferralProtocol
import Testing

/// NODE-MOVE-BACKLOG in the scheduler (docs/DESIGN.md, "Moving a node's backlog"): once the store has given a
/// suspended node's open deliveries to its replacement, both windows are read again from the store, so the
/// replacement gets each moved delivery once, in seq order within each case, within its memory bound.
@Suite struct BacklogMoveTests {
    /// What the store's move does: every open delivery of `from` (the harness holds no held lanes) names `to`.
    static func move(_ h: inout Harness, from: String, to: String) {
        h.stored = h.stored.map { info in
            guard info.recipient == from else { return info }
            return DeliveryInfo(
                seq: info.seq, sender: info.sender, messageId: info.messageId, recipient: to, caseId: info.caseId,
                priority: info.priority)
        }
        let stored = h.stored
        let open = { (node: String) in stored.filter { $0.recipient == node }.count }
        h.scheduler.backlogMoved(from: from, to: to, fromOpen: open(from), toOpen: open(to))
    }

    @Test func theReplacementGetsEveryMovedDeliveryOnceInCaseOrderWithinItsMemory() {
        var h = Harness(configure: StoreWindowTests.small)
        // The old node went offline with ten waiting (four in memory), in two cases and without one.
        let cases: [String?] = ["case-a", "case-b", nil, "case-a", "case-b", "case-a", nil, "case-b", "case-a", nil]
        for (offset, caseId) in cases.enumerated() {
            h.accept(Int64(offset + 1), to: "old", case: caseId, offset == 6 ? .crisis : .routine)
        }
        h.accept(11, to: "new")
        h.connect("new", window: 2)
        #expect(h.delivered().map(\.seq) == [11])
        BacklogMoveTests.move(&h, from: "old", to: "new")
        #expect(h.scheduler.nodeStatus("old")?.pending == 0)
        #expect(h.scheduler.nodeStatus("new")?.pending == 10)
        #expect(h.scheduler.nodeStatus("new")?.inFlight == 1)
        var got: [Int64] = []
        var inFlight: Set<Int64> = [11]
        for _ in 0..<40 {
            for seq in h.delivered().map(\.seq) {
                #expect(!got.contains(seq), "seq \(seq) delivered twice")
                got.append(seq)
                inFlight.insert(seq)
            }
            #expect(h.scheduler.deliveriesInMemory <= 4 + 1)
            guard let next = inFlight.min() else { break }
            inFlight.remove(next)
            _ = h.scheduler.ack(node: "new", seq: next, now: h.now)
        }
        #expect(Set(got) == Set(1...10))
        for caseId in ["case-a", "case-b"] {
            let order = got.filter { cases[Int($0) - 1] == caseId }
            #expect(order == order.sorted(), "case \(caseId) out of order: \(order)")
        }
        #expect(h.scheduler.nodeStatus("new")?.pending == 0)
        #expect(h.stored.isEmpty)
    }

    @Test func aPageAskedForBeforeTheMoveIsDropped() {
        var h = Harness(configure: StoreWindowTests.small)
        for seq in 1...3 { h.accept(Int64(seq), to: "old") }
        for seq in 4...12 { h.accept(Int64(seq), to: "new") }
        h.answersPages = false
        h.connect("new", window: 8)
        #expect(h.delivered().map(\.seq) == [4, 5, 6, 7])
        for seq in Int64(4)...7 { _ = h.scheduler.ack(node: "new", seq: seq, now: h.now) }
        h.stored.removeAll { (4...7).contains($0.seq) }
        // A page after seq 7 is on its way when the move commits.
        let asked = h.step()
        guard
            case .loadDeliveries(_, let after, let limit)? = asked.first(where: {
                if case .loadDeliveries = $0 { true } else { false }
            })
        else {
            Issue.record("no page asked for: \(asked)")
            return
        }
        let stale = h.stored.filter { $0.recipient == "new" && $0.seq > after }.prefix(limit)
        BacklogMoveTests.move(&h, from: "old", to: "new")
        h.scheduler.deliveriesLoaded(node: "new", limit: limit, Array(stale), now: h.now)
        h.answersPages = true
        var got: [Int64] = []
        for _ in 0..<20 {
            let sent = h.delivered().map(\.seq)
            got += sent
            for seq in sent { _ = h.scheduler.ack(node: "new", seq: seq, now: h.now) }
            if sent.isEmpty { break }
        }
        #expect(got.sorted() == [1, 2, 3, 8, 9, 10, 11, 12])
        #expect(Set(got).count == got.count)
        #expect(h.scheduler.nodeStatus("new")?.pending == 0)
    }
}
