import StoreModel
import Testing

/// The reads of the broker's bounded memory (docs/DESIGN.md, "a window on the store"): one node's open deliveries
/// and unconfirmed receipts a page at a time, after a horizon, and the per-node counts read at start.
@Suite struct PagedReadConformanceTests {
    @Test(arguments: Backend.allCases)
    func openDeliveriesComeOneRecipientAtATimeInSeqOrderAfterTheHorizon(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            var seqs: [Int64] = []
            for n in 1...5 {
                let to = n % 2 == 1 ? ["node-b", "node-c"] : ["node-b"]
                seqs.append(try #require(try session.store(message("m\(n)", to: to, caseId: "c1", priority: n % 3))))
            }
            #expect(try session.run(delivered(seqs[1], "node-b", receipt: 1)) == .settled)
            let first = try session.store.openDeliveries(recipient: "node-b", afterSeq: 0, limit: 2)
            #expect(first.map(\.seq) == [seqs[0], seqs[2]])
            #expect(first.allSatisfy { $0.recipient == "node-b" && $0.sender == "node-a" && $0.caseId == "c1" })
            #expect(first.map(\.messageId) == ["m1", "m3"])
            #expect(first.map(\.priority) == [1, 0])
            let rest = try session.store.openDeliveries(recipient: "node-b", afterSeq: seqs[2], limit: 10)
            #expect(rest.map(\.seq) == [seqs[3], seqs[4]])
            #expect(try session.store.openDeliveries(recipient: "node-b", afterSeq: seqs[4], limit: 10).isEmpty)
            #expect(
                try session.store.openDeliveries(recipient: "node-c", afterSeq: 0, limit: 10).map(\.seq) == [
                    seqs[0], seqs[2], seqs[4],
                ])
            #expect(try session.store.openDeliveries(recipient: "node-z", afterSeq: 0, limit: 10).isEmpty)
            #expect(try session.store.openDeliveryCounts() == ["node-b": 4, "node-c": 3])
            // Counts follow every change: a duplicate adds nothing, a settlement found not pending removes nothing.
            _ = try session.run(.accept(AcceptUnit(message: message("m1", to: ["node-b", "node-c"], caseId: "c1"))))
            #expect(try session.run(delivered(seqs[1], "node-b", receipt: 2)) == .notPending)
            _ = try session.run(deadLettered(seqs[0], "node-c", receipt: 3))
            try session.reopen()
            #expect(try session.store.openDeliveryCounts() == ["node-b": 4, "node-c": 2])
        }
    }

    @Test(arguments: Backend.allCases)
    func unconfirmedReceiptsComeOneSenderAtATimeInIdOrderAfterTheHorizon(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            var seqs: [Int64] = []
            for n in 1...4 { seqs.append(try #require(try session.store(message("m\(n)")))) }
            let other = try #require(try session.store(message("x1", from: "node-x")))
            for (index, seq) in seqs.enumerated() {
                #expect(try session.run(delivered(seq, receipt: Int64(10 + index))) == .settled)
            }
            let settleOther = StoreUnit.settle(
                Settlement(
                    seq: other, recipient: "node-b", caseId: nil, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                    outcome: .delivered, receiptId: 20, sender: "node-x", messageId: "x1"))
            #expect(try session.run(settleOther) == .settled)
            _ = try session.run(.confirmReceipt(id: 11, at: 3_000))
            let page = try session.store.unconfirmedReceipts(sender: "node-a", afterId: 0, limit: 2)
            #expect(page.map(\.id) == [10, 12])
            #expect(page.map(\.seq) == [seqs[0], seqs[2]])
            #expect(try session.store.unconfirmedReceipts(sender: "node-a", afterId: 12, limit: 2).map(\.id) == [13])
            #expect(try session.store.unconfirmedReceipts(sender: "node-x", afterId: 0, limit: 9).map(\.id) == [20])
            #expect(try session.store.unconfirmedReceiptCounts() == ["node-a": 3, "node-x": 1])
            // A receipt written confirmed (the broker's own notices) is not counted; a second confirmation changes
            // nothing.
            let notice = try #require(try session.store(message("n1")))
            #expect(try session.run(delivered(notice, receipt: 30, confirmed: true)) == .settled)
            _ = try session.run(.confirmReceipt(id: 11, at: 4_000))
            _ = try session.run(.confirmReceipt(id: 20, at: 4_000))
            try session.reopen()
            #expect(try session.store.unconfirmedReceiptCounts() == ["node-a": 3])
        }
    }
}
