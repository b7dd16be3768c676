import BrokerCore
import BrokerStore
import ReferralProtocol
import Testing

@testable import Broker
@testable import BrokerMachine

/// The store thread's plan for a settlement: the unit carries the receipt the machine decided, and the unit's result
/// comes back as whether that receipt was stored (made-up data).
@Suite struct StoreBatchPlanTests {
    func settled(outcome: ReceiptOutcome, confirmed: Bool = false) -> SettledDelivery {
        var settled = SettledDelivery(
            receipt: ReceiptInfo(
                id: 42, sender: "node-a", seq: 7, messageId: "m-1", recipient: "node-b", outcome: outcome, at: 2_000,
                reason: outcome == .deadLettered ? "cannot parse" : nil),
            attempts: 2, firstAttemptAt: 1_500, caseId: "case-1", holdCase: outcome == .deadLettered)
        settled.receiptConfirmed = confirmed
        return settled
    }

    @Test func aSettlementsUnitCarriesItsReceipt() throws {
        let plan = StoreBatchPlan([.persist(.settled(settled(outcome: .deadLettered, confirmed: true)))])
        guard case .settle(let settlement)? = plan.units.first else {
            Issue.record("no settle unit: \(plan.units)")
            return
        }
        #expect(
            settlement.receipt
                == ReceiptRecord(
                    id: 42, sender: "node-a", seq: 7, messageId: "m-1", recipient: "node-b", outcome: 1, at: 2_000,
                    reason: "cannot parse"))
        #expect(settlement.outcome == .deadLettered(reason: "cannot parse", holdCase: true))
        #expect(settlement.receiptConfirmed)
        #expect(settlement.caseId == "case-1")
        #expect(settlement.audit?.detail == "attempts=2; cannot parse")
        // Already decided: tried again if the commit fails, and nothing to answer meanwhile.
        #expect(plan.retried.count == 1)
        #expect(plan.failedCompletions().isEmpty)
    }

    @Test func theUnitsResultSaysWhetherTheReceiptWasStored() throws {
        let decided = settled(outcome: .delivered)
        let plan = StoreBatchPlan([.persist(.settled(decided)), .persist(.settled(decided))])
        let completions = plan.completions(for: [.settled, .notPending])
        let stored: [Bool] = completions.compactMap {
            if case .settled(let settled, let stored) = $0, settled == decided { stored } else { nil }
        }
        #expect(stored == [true, false])
    }
}
