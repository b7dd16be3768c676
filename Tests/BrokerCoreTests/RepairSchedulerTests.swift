import BrokerCore
import ReferralProtocol
import Testing

/// The operators' repairs in the scheduler (ADMIN-1 REDRIVE, DISCARD, RELEASE; docs/DESIGN.md, held lanes): a
/// released lane is read back from the store a page at a time and flows in seq order, within memory, with exact
/// counts.
@Suite struct RepairSchedulerTests {
    /// 20 messages of case-a to clinic (memory 4) and 5 without a case; clinic refuses the first for good.
    static func heldBehindOne() -> Harness {
        var h = Harness { $0.deliveryMemory = 4 }
        for seq in Int64(1)...20 { h.accept(seq, to: "clinic", case: "case-a") }
        for seq in Int64(21)...25 { h.accept(seq, to: "clinic") }
        h.connect("clinic", window: 1)
        #expect(h.delivered().map(\.seq) == [1])
        _ = h.scheduler.nack(node: "clinic", seq: 1, retry: false, reason: "made-up", now: h.now)
        let (delivered, _) = HeldLaneTests.drain(&h, h.step())
        #expect(delivered == Array(21...25))
        #expect(h.scheduler.nodeStatuses().first?.pending == 19)
        #expect(h.scheduler.nodeStatuses().first?.deadLetters == 1)
        return h
    }

    static func status(_ h: Harness) -> NodeStatus? { h.scheduler.nodeStatuses().first { $0.node == "clinic" } }

    @Test func releaseLetsTheHeldFlowInOrderWithinMemory() {
        var h = Self.heldBehindOne()
        h.scheduler.released(caseId: "case-a", recipient: "clinic", seq: 1, now: h.now)
        #expect(h.scheduler.heldLanes().isEmpty)
        #expect(Self.status(h)?.pending == 19)
        let (delivered, _) = HeldLaneTests.drain(&h, h.step())
        #expect(delivered == Array(2...20))
        #expect(Self.status(h)?.pending == 0)
        #expect(Self.status(h)?.deadLetters == 1)  // the dead letter stays one
        #expect(h.scheduler.openDeliveryCount == 0)
        #expect(h.scheduler.drainingLaneCount == 0)
    }

    @Test func aRedrivenDeadLetterHeadsItsLane() {
        var h = Self.heldBehindOne()
        let info = DeliveryInfo(
            seq: 1, sender: "sender", messageId: "m-1", recipient: "clinic", caseId: "case-a", priority: .routine)
        h.stored.append(info)  // the store reopened it
        h.scheduler.redriven(info, deadLetterOf: "clinic", releasedLane: true, now: h.now)
        #expect(Self.status(h)?.pending == 20)
        #expect(Self.status(h)?.deadLetters == 0)
        let (delivered, effects) = HeldLaneTests.drain(&h, h.step())
        #expect(delivered == Array(1...20))
        #expect(effects.settlements.first?.receipt.outcome == .delivered)
        #expect(effects.settlements.first?.attempts == 1)
        #expect(Self.status(h)?.pending == 0)
        #expect(h.scheduler.openDeliveryCount == 0)
    }

    @Test func discardReleasesTheLane() {
        var h = Self.heldBehindOne()
        h.scheduler.discarded(seq: 1, recipient: "clinic", caseId: "case-a", releasedLane: true, now: h.now)
        #expect(Self.status(h)?.deadLetters == 0)
        let (delivered, _) = HeldLaneTests.drain(&h, h.step())
        #expect(delivered == Array(2...20))
        #expect(Self.status(h)?.pending == 0)
    }

    /// A message of the case accepted while the lane is read back waits behind the earlier ones.
    @Test func anAcceptDuringTheReadBackComesAfterTheEarlierOnes() {
        var h = Self.heldBehindOne()
        h.answersPages = false
        h.scheduler.released(caseId: "case-a", recipient: "clinic", seq: 1, now: h.now)
        let asked = h.step()
        h.accept(26, to: "clinic", case: "case-a")
        #expect(Self.status(h)?.pending == 20)
        h.answersPages = true
        _ = h.answerPages(asked)
        let (delivered, _) = HeldLaneTests.drain(&h, h.step())
        #expect(delivered == Array(2...20) + [26])
        #expect(Self.status(h)?.pending == 0)
    }

    /// The lane is held again by a later dead letter while it is read back: the rest waits, counted.
    @Test func aLaneHeldAgainWhileReadBackWaits() {
        var h = Self.heldBehindOne()
        h.scheduler.released(caseId: "case-a", recipient: "clinic", seq: 1, now: h.now)
        #expect(h.delivered().map(\.seq) == [2])
        _ = h.scheduler.nack(node: "clinic", seq: 2, retry: false, reason: "made-up", now: h.now)
        #expect(h.delivered().isEmpty)
        #expect(h.scheduler.heldLanes().map(\.seq) == [2])
        #expect(Self.status(h)?.pending == 18)
        #expect(Self.status(h)?.deadLetters == 2)
        h.scheduler.released(caseId: "case-a", recipient: "clinic", seq: 2, now: h.now)
        let (delivered, _) = HeldLaneTests.drain(&h, h.step())
        #expect(delivered == Array(3...20))
        #expect(Self.status(h)?.pending == 0)
    }

    /// Redriven to a corrected recipient: it goes there on its own; the old lane is released.
    @Test func aRedriveElsewhereGoesOnItsOwnAndReleasesTheOldLane() {
        var h = Self.heldBehindOne()
        let info = DeliveryInfo(
            seq: 1, sender: "sender", messageId: "m-1", recipient: "school", caseId: "case-a", priority: .routine)
        h.stored.append(info)
        h.scheduler.redriven(info, deadLetterOf: "clinic", releasedLane: true, now: h.now)
        h.connect("school", window: 1)
        let effects = h.step()
        #expect(effects.contains { if case .deliver("school", 1, 1) = $0 { return true } else { return false } })
        #expect(effects.contains { if case .deliver("clinic", 2, 1) = $0 { return true } else { return false } })
        #expect(h.scheduler.nodeStatuses().first { $0.node == "school" }?.pending == 0)
        #expect(Self.status(h)?.deadLetters == 0)
    }
}
