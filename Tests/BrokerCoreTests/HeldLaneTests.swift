import BrokerCore
import ReferralProtocol
import Testing

/// Held lanes and the window (docs/DESIGN.md, "a window on the store"): the deliveries held behind a dead letter are
/// left in the store, counted, so a held case costs no memory; each gets its `held` trail event at least once, also
/// across restarts (exactly once when the broker does not restart in between).
@Suite struct HeldLaneTests {
    static func heldSeqs(_ effects: [Effect]) -> [Int64] {
        effects.persisted.compactMap {
            if case .event(_, let seq, _, .held, _, _) = $0 { return seq }
            return nil
        }
    }

    static func hold(_ seq: Int64, at time: Millis) -> HeldLane {
        HeldLane(caseId: "case-a", recipient: "clinic", seq: seq, since: time)
    }

    /// Acknowledges every delivery until nothing more comes; returns what was delivered and every effect.
    static func drain(_ h: inout Harness, _ first: [Effect]) -> (delivered: [Int64], effects: [Effect]) {
        var all = first
        var step = first.seqsDelivered
        var delivered: [Int64] = []
        while !step.isEmpty {
            delivered += step
            for seq in step { _ = h.scheduler.ack(node: "clinic", seq: seq, now: h.now) }
            let effects = h.step()
            #expect(h.scheduler.deliveriesInMemory <= 4)
            all += effects
            step = effects.seqsDelivered
        }
        return (delivered, all)
    }

    @Test func aHeldCaseWithAHugeBacklogCostsNoMemory() {
        var h = Harness { $0.deliveryMemory = 4 }
        for seq in Int64(1)...40 { h.accept(seq, to: "clinic", case: "case-a") }
        for seq in Int64(41)...50 { h.accept(seq, to: "clinic") }
        h.connect("clinic", window: 1)
        #expect(h.delivered().map(\.seq) == [1])
        _ = h.scheduler.nack(node: "clinic", seq: 1, retry: false, reason: "schema", now: h.now)
        let first = h.step()
        let (delivered, effects) = Self.drain(&h, first)
        #expect(delivered == Array(41...50))
        #expect(Self.heldSeqs(effects).sorted() == Array(2...40))
        #expect(h.scheduler.deliveriesInMemory == 0)
        #expect(h.scheduler.nodeStatuses().first?.pending == 39)
        #expect(h.scheduler.openDeliveryCount == 39)
        #expect(h.connect("clinic").pending == 39)
        // Accepted into the held case: recorded at once, left in the store.
        h.accept(51, to: "clinic", case: "case-a")
        #expect(Self.heldSeqs(h.step()) == [51])
        #expect(h.scheduler.deliveriesInMemory == 0)
        #expect(h.scheduler.nodeStatuses().first?.pending == 40)
    }

    /// The broker restarts after the dead letter, before the deliveries that waited beyond memory were read: each
    /// still gets its `held` event when read after the restart; the one recorded before gets it again (at least
    /// once), and one accepted after the restart only once.
    @Test func everyHeldDeliveryGetsItsHeldEventAcrossARestart() {
        var h = Harness { $0.deliveryMemory = 2 }
        for seq in Int64(1)...6 { h.accept(seq, to: "clinic", case: "case-a") }
        h.accept(7, to: "clinic")
        h.connect("clinic", window: 1)
        #expect(h.delivered().map(\.seq) == [1])
        h.answersPages = false  // killed before any page is read
        _ = h.scheduler.nack(node: "clinic", seq: 1, retry: false, reason: "schema", now: h.now)
        let before = Self.heldSeqs(h.step())
        #expect(before == [2])

        var restarted = Harness { $0.deliveryMemory = 2 }
        restarted.stored = h.stored
        restarted.restoreFromStore(held: [Self.hold(1, at: h.now)], deadLetters: ["clinic": 1])
        restarted.accept(8, to: "clinic", case: "case-a")
        var after = Self.heldSeqs(restarted.step())
        #expect(after == [8])
        #expect(restarted.connect("clinic", window: 1).pending == 7)
        let first = restarted.step()
        let (delivered, effects) = Self.drain(&restarted, first)
        after += Self.heldSeqs(effects)
        #expect(delivered == [7])
        #expect(after.sorted() == [2, 3, 4, 5, 6, 8])
        #expect(Set(before + after) == Set([2, 3, 4, 5, 6, 8]))
        #expect(restarted.scheduler.deliveriesInMemory == 0)
        #expect(restarted.scheduler.nodeStatuses().first?.pending == 6)
    }

    /// A lane held after a restart, while later deliveries of its case still wait beyond memory (seqs the scheduler
    /// has never seen): they get their `held` event when read.
    @Test func aDeadLetterAfterARestartRecordsItsLanesDeliveriesBeyondMemory() {
        var h = Harness { $0.deliveryMemory = 2 }
        h.stored = (1...6).map {
            DeliveryInfo(
                seq: $0, sender: "school", messageId: "m-\($0)", recipient: "clinic", caseId: "case-a",
                priority: .routine)
        }
        h.restoreFromStore()
        h.connect("clinic", window: 1)
        #expect(h.delivered().map(\.seq) == [1])
        _ = h.scheduler.nack(node: "clinic", seq: 1, retry: false, reason: "schema", now: h.now)
        #expect(Self.heldSeqs(h.step()).sorted() == [2, 3, 4, 5, 6])
        #expect(h.scheduler.deliveriesInMemory == 0)
        #expect(h.scheduler.nodeStatuses().first?.pending == 5)
    }
}
