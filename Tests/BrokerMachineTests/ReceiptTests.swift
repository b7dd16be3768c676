import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// Receipts (1/RBP §7.9, §7.10, §12.4): decided by the machine with the settlement, numbered by it, written by the
/// settlement's store unit, and sent to the sender only once that unit's batch committed.
@Suite struct ReceiptTests {
    /// A referral from gl-school-1 (m-1, seq 7) ACKed by gl-child-psych; returns the settlement and the school.
    private func acked(_ rig: inout Rig) -> (SettledDelivery?, school: [UInt8]) {
        let (school, clinic) = rig.referralInFlight()
        _ = rig.command(.ack(Ack(seq: 7)), on: clinic)
        return (rig.tick().settlements.first, school)
    }

    @Test func aSettlementCarriesItsReceiptToTheStore() throws {
        var rig = try Rig()
        let (settled, _) = acked(&rig)
        let settlement = try #require(settled)
        #expect(
            settlement.receipt
                == ReceiptInfo(
                    id: 1, sender: "gl-school-1", seq: 7, messageId: "m-1", recipient: "gl-child-psych",
                    outcome: .delivered, at: rig.now, reason: nil))
        #expect(!settlement.receiptConfirmed)
    }

    @Test func theReceiptIsSentOnlyAfterItsBatchCommitted() throws {
        var rig = try Rig()
        let (settled, school) = acked(&rig)
        let settlement = try #require(settled)
        #expect(rig.tick(after: 1_000).receipts.isEmpty)
        #expect(rig.stored(.settled(settlement, stored: true)).receipts.isEmpty)
        let sent = rig.tick()
        #expect(sent.receipts == [Receipt(settlement.receipt)])
        #expect(sent.sends.first?.to == school)
        // Unconfirmed, it is sent again; confirmed, the confirmation is persisted and it stops.
        #expect(rig.tick(after: 10_000).receipts.map(\.receipt) == [1])
        #expect(rig.command(.receiptAck(ReceiptAck(receipt: 1)), on: school).isEmpty)
        #expect(rig.tick().persists.contains(where: { if case .receiptConfirmed(1, _) = $0 { true } else { false } }))
        #expect(rig.tick(after: 10_000).receipts.isEmpty)
    }

    @Test func receiptNumbersIncreaseAndContinueAfterARestore() throws {
        var rig = try Rig()
        rig.machine.scheduler.restore(held: [], deadLetters: [:], backlog: .init(), lastReceiptId: 41)
        let school = rig.connect("gl-school-1")
        let clinic = rig.connect("gl-child-psych")
        _ = rig.accept(referral("m-1", case: "case-a"), on: school, seq: 7)
        _ = rig.accept(referral("m-2", case: "case-b"), on: school, seq: 8)
        #expect(rig.report(rig.tick()).isEmpty == false)
        _ = rig.command(.ack(Ack(seq: 8)), on: clinic)
        _ = rig.command(.nack(Nack(seq: 7, retry: false, reason: "cannot parse")), on: clinic)
        let receipts = rig.tick().settlements.map(\.receipt)
        #expect(receipts.map(\.id) == [42, 43])
        #expect(receipts.map(\.messageId) == ["m-2", "m-1"])
        #expect(receipts.map(\.outcome) == [.delivered, .deadLettered])
    }

    @Test func aSettlementTheStoreFoundNotPendingSendsNoReceipt() throws {
        var rig = try Rig()
        let (settled, _) = acked(&rig)
        let settlement = try #require(settled)
        _ = rig.stored(.settled(settlement, stored: false))
        #expect(rig.tick().receipts.isEmpty)
        #expect(rig.tick(after: 10_000).receipts.isEmpty)
        #expect(rig.machine.scheduler.nodeStatuses().allSatisfy { $0.receiptsPending == 0 })
    }

    @Test func theBrokersOwnReceiptsAreWrittenConfirmedInTheSettlementsBatch() throws {
        var rig = try Rig()
        let clinic = rig.connect("gl-child-psych")
        rig.machine.scheduler.enqueue(
            [
                DeliveryInfo(
                    seq: 9, sender: EscalationSettings.brokerSender, messageId: "n-1", recipient: "gl-child-psych",
                    caseId: nil, priority: .urgent)
            ], now: rig.now)
        _ = rig.tick()
        _ = rig.command(.ack(Ack(seq: 9)), on: clinic)
        let settlement = try #require(rig.tick().settlements.first)
        #expect(settlement.receiptConfirmed)
        #expect(settlement.receipt.sender == EscalationSettings.brokerSender)
        // Committed: nothing more to write, nobody to tell.
        #expect(rig.stored(.settled(settlement, stored: true)).requests.isEmpty)
        #expect(rig.machine.scheduler.nodeStatuses().allSatisfy { $0.receiptsPending == 0 })
    }
}
