import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// ADMIN-1 CASE's result built from what the store thread read (made-up rows).
@Suite struct CaseResultTests {
    func deadline(_ id: Int64, _ item: String, due: Int64, level: Int = 0) -> DeadlineRecord {
        DeadlineRecord(
            id: id, caseId: "c-1", item: item, dueAt: due, level: level, notice: nil, policy: "p", state: .open,
            createdAt: 1, closedAt: nil, region: "350102", agency: "health", risk: "routine")
    }

    @Test func eachKindOfItemNamesItsPartyAndWhatIsAwaited() {
        let delivery = AdminCase.Deadline(deadline(1, "delivery:42:test-b", due: 10))
        #expect(delivery.awaiting == .delivery(seq: 42, party: "test-b") && delivery.risk == "routine")
        let answer = AdminCase.Deadline(
            deadline(2, "answer:test-b:referral.received,referral.accepted", due: 20, level: 1))
        #expect(answer.awaiting == .answer(kinds: ["referral.accepted", "referral.received"], party: "test-b"))
        #expect(answer.level == 1 && answer.dueAt == 20)
        let visit = AdminCase.Deadline(deadline(3, "visit:2:test-x", due: 30))
        #expect(visit.awaiting == .followUpVisit(number: 2, party: "test-x"))
        // An item this daemon cannot read is still listed, raw.
        let odd = AdminCase.Deadline(deadline(4, "something-else", due: 40))
        #expect(odd.item == "something-else" && odd.awaiting == nil)
    }

    @Test func aTrackedCaseHasItsStatusAnUntrackedOneHasNone() {
        let open = [deadline(1, "answer:test-b:crisis.acknowledged", due: 10)]
        let tracked = AdminCase(
            CaseInfo(
                caseId: "c-1",
                record: CaseRecord(caseId: "c-1", status: "requested", referrer: "test-a", service: "test-b"),
                events: [], deadlines: open, deadlinesTruncated: false))
        #expect(tracked.tracking?.status == "requested" && tracked.tracking?.referrer == "test-a")
        #expect(tracked.deadlines.count == 1 && !tracked.deadlinesTruncated)

        let untracked = CaseInfo(caseId: "c-1", record: nil, events: [], deadlines: open, deadlinesTruncated: true)
        #expect(!untracked.isEmpty)
        let result = AdminCase(untracked)
        #expect(result.tracking == nil)
        #expect(result.caseId == "c-1" && result.deadlinesTruncated && result.events.isEmpty)
        // On the wire: no status members at all (never null).
        let json = String(decoding: AdminCodec.encode(.ok(.caseInfo(result)))[2], as: UTF8.self)
        #expect(!json.contains("status") && !json.contains("referrer") && json.contains("\"deadlines_truncated\":true"))

        #expect(CaseInfo(caseId: "c-2", record: nil, events: [], deadlines: [], deadlinesTruncated: false).isEmpty)
    }
}
