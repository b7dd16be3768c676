import BrokerCore
import ReferralProtocol
import Testing

/// The bounded memory (docs/DESIGN.md, "a window on the store"): per node, a seq prefix of the open deliveries and
/// an id prefix of the unconfirmed receipts in memory, the rest counted and read a page at a time.
@Suite struct StoreWindowTests {
    static func small(_ config: inout SchedulerConfig) {
        config.deliveryMemory = 4
        config.receiptMemory = 2
    }

    /// `accepted` messages for clinic (4 in memory), the first 4 delivered and `acked` of them acknowledged; page
    /// reads are left for the test to answer.
    static func answeringByHand(accepted: Int, acked: Int) -> Harness {
        var h = Harness(configure: small)
        for seq in 1...accepted { h.accept(Int64(seq), to: "clinic") }
        h.answersPages = false
        h.connect("clinic", window: 8)
        #expect(h.delivered().map(\.seq) == [1, 2, 3, 4])
        for seq in 1...acked { _ = h.scheduler.ack(node: "clinic", seq: Int64(seq), now: h.now) }
        return h
    }

    /// A restart with clinic's deliveries `holding` in the store, clinic connected, page reads left to the test.
    static func restartedByHand(holding seqs: ClosedRange<Int64>, heartbeatMs: Millis = 3_600_000) -> Harness {
        var h = Harness { config in
            small(&config)
            config.heartbeatMs = heartbeatMs
        }
        h.stored = seqs.map {
            DeliveryInfo(
                seq: $0, sender: "school", messageId: "m-\($0)", recipient: "clinic", caseId: nil, priority: .routine)
        }
        h.restoreFromStore()
        h.answersPages = false
        h.connect("clinic")
        return h
    }

    @Test func anOfflineNodesBacklogBeyondItsMemoryIsCountedThenReadInSeqOrder() {
        var h = Harness(configure: StoreWindowTests.small)
        for seq in 1...10 { h.accept(Int64(seq), to: "clinic") }
        #expect(h.scheduler.deliveriesInMemory == 4)
        #expect(h.scheduler.nodeStatuses().first?.pending == 10)
        #expect(h.scheduler.openDeliveryCount == 10)
        #expect(h.connect("clinic", window: 8).pending == 10)
        var got = h.delivered().map(\.seq)
        #expect(got == [1, 2, 3, 4])
        for seq in Int64(1)...10 {
            _ = h.scheduler.ack(node: "clinic", seq: seq, now: h.now)
            got += h.delivered().map(\.seq)
            #expect(h.scheduler.deliveriesInMemory <= 4)
        }
        #expect(got == Array(1...10))
        #expect(h.scheduler.nodeStatuses().first?.pending == 0)
        #expect(h.stored.isEmpty)
    }

    /// Start-up reads counts, not rows: nothing is in memory until the node has a session, and WELCOME and STATUS
    /// count what waits in the store.
    @Test func aRestartLoadsNothingUntilTheNodeConnects() {
        var h = Harness(configure: StoreWindowTests.small)
        h.stored = (1...6).map {
            DeliveryInfo(
                seq: $0, sender: "school", messageId: "m-\($0)", recipient: "clinic", caseId: nil, priority: .routine)
        }
        h.restoreFromStore()
        #expect(h.scheduler.deliveriesInMemory == 0)
        #expect(h.scheduler.nodeStatuses().first?.pending == 6)
        #expect(h.step().isEmpty)
        h.accept(7, to: "clinic")  // behind the backlog: counted, read later in order
        #expect(h.scheduler.deliveriesInMemory == 0)
        #expect(h.connect("clinic", window: 2).pending == 7)
        var effects = h.step()
        #expect(effects.contains(.loadDeliveries(node: "clinic", afterSeq: 0, limit: 4)))
        #expect(effects.seqsDelivered == [1, 2])
        var got = effects.seqsDelivered
        while let seq = got.last, seq < 7 {
            for sent in got.suffix(2) { _ = h.scheduler.ack(node: "clinic", seq: sent, now: h.now) }
            effects = h.step()
            got += effects.seqsDelivered
        }
        #expect(got == Array(1...7))
    }

    /// A page read may find a delivery the machine has settled whose settlement is not committed yet: it is never
    /// delivered again (at or before the horizon, or in the node's settled memory).
    @Test func aPageNeverBringsBackASettledDelivery() {
        var h = Self.answeringByHand(accepted: 6, acked: 3)
        let effects = h.step()
        #expect(effects.contains(.loadDeliveries(node: "clinic", afterSeq: 4, limit: 3)))
        // The store had not committed the settlements: a stale read returns them with the rest.
        let stale = (1...6).map {
            DeliveryInfo(
                seq: $0, sender: "sender", messageId: "m-\($0)", recipient: "clinic", caseId: nil, priority: .routine)
        }
        h.scheduler.deliveriesLoaded(node: "clinic", limit: 6, stale, now: h.now)
        #expect(h.delivered().map(\.seq) == [5, 6])
        #expect(h.scheduler.nodeStatuses().first?.pending == 0)
        #expect(h.scheduler.nodeStatuses().first?.inFlight == 3)
    }

    /// A delivery committed while a page read is on its way is counted, and the page that finds it adds it once.
    @Test func aDeliveryInBothAnAcceptAndAPageIsAddedOnce() {
        var h = Self.answeringByHand(accepted: 5, acked: 4)
        #expect(h.step().contains(.loadDeliveries(node: "clinic", afterSeq: 4, limit: 4)))
        h.accept(6, to: "clinic")  // its commit comes before the page's read
        #expect(h.scheduler.nodeStatuses().first?.pending == 2)
        h.scheduler.deliveriesLoaded(node: "clinic", limit: 4, Array(h.stored.filter { $0.seq > 4 }), now: h.now)
        #expect(h.delivered().map(\.seq) == [5, 6])
        #expect(h.scheduler.nodeStatuses().first?.inFlight == 2)
        #expect(h.scheduler.nodeStatuses().first?.pending == 0)
        // A short page: nothing more waits, so the next delivery goes straight to memory.
        h.accept(7, to: "clinic")
        #expect(h.delivered().map(\.seq) == [7])
    }

    /// Within memory crisis goes first; beyond it, deliveries come in seq order. A seq prefix keeps every earlier
    /// delivery of a (case, recipient) lane loaded before a later one, so lane order holds across pages.
    @Test func priorityWithinMemoryAndLaneOrderAcrossPages() {
        var h = Harness(configure: StoreWindowTests.small)
        h.accept(1, to: "clinic", case: "case-a")
        h.accept(2, to: "clinic")
        h.accept(3, to: "clinic", case: "case-a", .crisis)
        h.accept(4, to: "clinic", .urgent)
        h.accept(5, to: "clinic", .crisis)  // beyond memory: waits for its page
        h.accept(6, to: "clinic", case: "case-a", .crisis)
        h.connect("clinic", window: 1)
        var got: [Int64] = []
        var step = h.delivered().map(\.seq)
        while let seq = step.first {
            got.append(seq)
            _ = h.scheduler.ack(node: "clinic", seq: seq, now: h.now)
            step = h.delivered().map(\.seq)
        }
        #expect(got == [4, 1, 3, 5, 6, 2])
        #expect(got.filter { [1, 3, 6].contains($0) } == [1, 3, 6])
    }

    @Test func receiptsBeyondTheSendersMemoryWaitInTheStore() {
        var h = Harness(configure: StoreWindowTests.small)
        h.restoreFromStore(lastReceiptId: 5)
        for id in Int64(1)...5 {
            h.receiptStored(
                ReceiptInfo(
                    id: id, sender: "school", seq: id, messageId: "m-\(id)", recipient: "clinic", outcome: .delivered,
                    at: h.now, reason: nil))
        }
        #expect(h.scheduler.nodeStatuses().first?.receiptsPending == 5)
        #expect(h.connect("school").receipts == 5)
        var got = h.step().receiptsSent.map(\.id)
        #expect(got == [1, 2])
        // Not read yet: ignored, sent again once loaded.
        #expect(h.scheduler.confirmReceipt(node: "school", receipt: 5, now: h.now) == .notLoaded)
        #expect(h.scheduler.confirmReceipt(node: "school", receipt: 9, now: h.now) == .unknown)
        for id in Int64(1)...5 {
            #expect(h.scheduler.confirmReceipt(node: "school", receipt: id, now: h.now) == .applied)
            got += h.step().receiptsSent.map(\.id)
        }
        #expect(got == [1, 2, 3, 4, 5])
        #expect(h.scheduler.nodeStatuses().first?.receiptsPending == 0)
    }

    /// An ACK for a delivery the store holds but memory does not yet (after a restart) is ignored, not UNKNOWN: the
    /// delivery comes again once read and the node's inbox drops the duplicate.
    @Test func anAckOfADeliveryNotReadYetIsIgnored() {
        var h = Self.restartedByHand(holding: 3...3)
        #expect(h.scheduler.ack(node: "clinic", seq: 3, now: h.now) == .notLoaded)
    }

    /// A failed page read is asked for again at the next heartbeat check.
    @Test func aFailedPageIsAskedForAgain() {
        var h = Self.restartedByHand(holding: 1...1, heartbeatMs: 4_000)
        #expect(h.step().contains(.loadDeliveries(node: "clinic", afterSeq: 0, limit: 4)))
        h.scheduler.pageFailed(node: "clinic", receipts: false)
        #expect(h.step().isEmpty)
        h.advance(1_000)
        #expect(h.step().contains(.loadDeliveries(node: "clinic", afterSeq: 0, limit: 4)))
    }
}

/// Held lanes and the window: deliveries held behind a dead letter do not keep the rest of the backlog out, and one
/// that waited beyond memory when its lane was held gets its `held` trail event when a page brings it in.
@Suite struct HeldWindowTests {
    static func heldSeqs(_ effects: [Effect]) -> [Int64] {
        effects.persisted.compactMap {
            if case .event(_, let seq, _, .held, _, _) = $0 { return seq }
            return nil
        }
    }

    @Test func heldDeliveriesDoNotBlockTheBacklogAndGetTheirHeldEventWhenRead() {
        var h = Harness { $0.deliveryMemory = 2 }
        h.accept(1, to: "clinic", case: "case-a")
        h.accept(2, to: "clinic", case: "case-a")
        h.accept(3, to: "clinic", case: "case-a")  // beyond memory
        h.accept(4, to: "clinic", case: "case-b")  // beyond memory
        h.accept(5, to: "clinic")  // beyond memory
        h.connect("clinic", window: 1)
        #expect(h.delivered().map(\.seq) == [1])
        _ = h.scheduler.nack(node: "clinic", seq: 1, retry: false, reason: "schema", now: h.now)
        let effects = h.step()
        #expect(Self.heldSeqs(effects) == [2, 3])
        #expect(effects.seqsDelivered == [4])
        _ = h.scheduler.ack(node: "clinic", seq: 4, now: h.now)
        #expect(h.delivered().map(\.seq) == [5])
        h.accept(6, to: "clinic", case: "case-a")  // accepted into the held lane: recorded at once
        #expect(Self.heldSeqs(h.step()) == [6])
        #expect(h.scheduler.nodeStatuses().first?.pending == 3)
    }
}
