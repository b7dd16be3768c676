import BrokerStore
import Foundation
import Testing

@testable import Broker

/// ADMIN-1 CASE's result built from what the store thread read (made-up rows).
@Suite struct CaseResultTests {
    func deadline(_ id: Int64, _ item: String, due: Int64, level: Int = 0) -> DeadlineRecord {
        DeadlineRecord(
            id: id, caseId: "c-1", item: item, dueAt: due, level: level, notice: nil, policy: "p", state: .open,
            createdAt: 1, closedAt: nil, region: "350102", agency: "health", risk: "routine")
    }

    @Test func eachKindOfItemNamesItsPartyAndWhatIsAwaited() {
        let delivery = PollLoop.deadlineObject(deadline(1, "delivery:42:test-b", due: 10))
        #expect(delivery["party"] as? String == "test-b" && delivery["awaiting"] as? String == "delivery")
        #expect(delivery["seq"] as? Int64 == 42 && delivery["risk"] as? String == "routine")
        let answer = PollLoop.deadlineObject(
            deadline(2, "answer:test-b:referral.received,referral.accepted", due: 20, level: 1))
        #expect(answer["party"] as? String == "test-b" && answer["awaiting"] as? String == "answer")
        #expect(answer["kinds"] as? [String] == ["referral.accepted", "referral.received"])
        #expect(answer["level"] as? Int == 1 && answer["due_at"] as? Int64 == 20)
        let visit = PollLoop.deadlineObject(deadline(3, "visit:2:test-x", due: 30))
        #expect(visit["party"] as? String == "test-x" && visit["awaiting"] as? String == "followup-visit")
        #expect(visit["visit_number"] as? Int == 2)
        // An item this daemon cannot read is still listed, raw.
        let odd = PollLoop.deadlineObject(deadline(4, "something-else", due: 40))
        #expect(odd["item"] as? String == "something-else" && odd["party"] == nil && odd["awaiting"] == nil)
    }

    @Test func aTrackedCaseHasItsStatusAnUntrackedOneHasNone() {
        let open = [deadline(1, "answer:test-b:crisis.acknowledged", due: 10)]
        let tracked = PollLoop.caseObject(
            CaseInfo(
                caseId: "c-1",
                record: CaseRecord(caseId: "c-1", status: "requested", referrer: "test-a", service: "test-b"),
                events: [], deadlines: open, deadlinesTruncated: false))
        #expect(tracked["status"] as? String == "requested" && tracked["referrer"] as? String == "test-a")
        #expect((tracked["deadlines"] as? [[String: Any]])?.count == 1 && tracked["deadlines_truncated"] == nil)

        let untracked = CaseInfo(caseId: "c-1", record: nil, events: [], deadlines: open, deadlinesTruncated: true)
        #expect(!untracked.isEmpty)
        let object = PollLoop.caseObject(untracked)
        #expect(object["status"] == nil && object["referrer"] == nil && object["attempt"] == nil)
        #expect(object["case"] as? String == "c-1" && object["deadlines_truncated"] as? Bool == true)
        #expect((object["events"] as? [Any])?.isEmpty == true)
        // The whole result is valid JSON for the admin reply.
        #expect(JSONSerialization.isValidJSONObject(object))

        #expect(CaseInfo(caseId: "c-2", record: nil, events: [], deadlines: [], deadlinesTruncated: false).isEmpty)
    }
}
