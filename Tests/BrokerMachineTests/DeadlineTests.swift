import BrokerCore
import CaseCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// Durable timers: arming with the accept, meeting with the answer, the window of due deadlines and firing
/// (1/RBP §7.3, §7.3.2, issue 4).
@Suite struct DeadlineTests {
    static let alert = Send(id: "a-1", to: ["gl-psb"], kind: "crisis.alert", caseId: "case-7", priority: .crisis)

    /// The first deadline `message` arms, as the store would hold it once stored as `seq`.
    static func armedRecord(_ rig: inout Rig, _ message: Send, seq: Int64, id: Int64 = 1) throws -> DeadlineRecord {
        let pending = try #require(rig.send(message, on: rig.connect("gl-school-1")).accepts.first)
        let row = try #require(pending.deadlines.first)
        #expect(row.notice.armedBy == nil)  // the arming message's seq is known only once stored
        return stored(row, seq: seq, id: id)
    }

    /// `row` as the store writes it when the message of its accept unit is stored as `seq` (its item's and its
    /// notice's seq filled in when they name that message).
    static func stored(_ row: NewDeadline, seq: Int64, id: Int64) -> DeadlineRecord {
        var notice = row.notice
        notice.armedBy = notice.armedBy ?? seq
        let item: String
        switch row.item {
        case .text(let text): item = text
        case .deliveryOfArmingMessage(let recipient): item = "delivery:\(seq):\(recipient)"
        }
        return DeadlineRecord(
            id: id, caseId: row.caseId, item: item, dueAt: row.dueAt, level: row.level, notice: notice,
            policy: row.policy, state: .open, createdAt: row.createdAt, closedAt: nil, region: row.region,
            agency: row.agency, risk: row.risk, closers: row.closers)
    }

    @Test func aCrisisAlertArmsAcknowledgmentsAndAnAcknowledgmentMeetsItsOwn() throws {
        var rig = try Rig()
        let pending = try #require(rig.send(Self.alert, on: rig.connect("gl-school-1")).accepts.first)
        #expect(pending.deadlines.contains { $0.item.text?.hasPrefix("answer:gl-psb:") == true })
        let ack = Send(id: "k-1", to: ["gl-school-1"], kind: "crisis.acknowledged", priority: .crisis)
        let meeting = try #require(rig.send(ack, on: rig.connect("gl-psb")).accepts.first)
        #expect(meeting.closes == [DeadlineClose(caseId: nil, item: "answer:gl-psb:crisis.acknowledged", state: .met)])
    }

    @Test func aFollowUpPlanArmsVisitsForItsPartiesAndIsCheckedAgainstTheRecipients() throws {
        var rig = try Rig()
        let clinic = rig.connect("gl-child-psych")
        let plan = FollowUpHeader(steps: [.within(days: 7), .within(days: 30)], visitsBy: ["gl-director-1"])
        var notice = Send(
            id: "d-1", to: ["gl-director-1"], kind: FollowUpHeader.kind, caseId: "case-3", priority: .routine,
            followUp: plan)
        let pending = try #require(rig.send(notice, on: clinic).accepts.first)
        let visits = pending.deadlines.filter { $0.item.text?.hasPrefix("visit:") == true }
        #expect(visits.count == 2)
        #expect(visits.allSatisfy { $0.closers == ["gl-child-psych"] })
        notice.id = "d-2"
        notice.to = ["gl-director-2"]
        let refused = rig.send(notice, on: clinic)
        #expect(refused.rejected.map(\.code) == [.badField])
        #expect(refused.rejected.first?.field == "followup")
        let visit = Send(
            id: "v-1", to: ["gl-child-psych"], kind: "followup.visit", caseId: "CASE-3", priority: .routine)
        let met = try #require(rig.send(visit, on: rig.connect("gl-director-1")).accepts.first)
        #expect(met.followUpMeet == .visit(caseId: "case-3", party: "gl-director-1"))
    }

    @Test func anUnresolvableOwnerIsRefusedNamingItsMemberAndAddress() throws {
        var rig = try Rig()
        let plan = FollowUpHeader(steps: [.within(days: 7)], visitsBy: ["gl-director-1"], owner: "nobody")
        let notice = Send(
            id: "d-1", to: ["gl-director-1"], kind: FollowUpHeader.kind, caseId: "case-3", priority: .routine,
            followUp: plan)
        let refused = try #require(rig.send(notice, on: rig.connect("gl-child-psych")).rejected.first)
        #expect(refused.code == .unknownRecipient)
        #expect(refused.field == "followup" && refused.recipient == "nobody")
        #expect(refused.reason.hasPrefix("followup.owner: "))
    }

    @Test func theWindowIsReadThenRefilledWhenADeadlineInsideItIsSet() throws {
        var rig = try Rig()
        let first = rig.tick()
        guard case .dueDeadlines(let before, let limit)? = first.requests.first else {
            Issue.record("no window read: \(first.requests)")
            return
        }
        #expect(before == rig.now + DeadlineWindow.horizonMs)
        #expect(rig.tick().requests.isEmpty)  // asked once
        _ = rig.stored(.dueDeadlines([], before: rig.now + 3_600_000, limit: limit))
        #expect(rig.tick().requests.isEmpty)
        let school = rig.connect("gl-school-1")
        let pending = try #require(rig.send(Self.alert, on: school).accepts.first)
        _ = rig.stored(.accepted(pending, .stored(seq: 3)))  // its acknowledgment is due inside the hour
        #expect(rig.tick().requests.contains { if case .dueDeadlines = $0 { true } else { false } })
    }

    @Test func aDueDeadlineFiresWithItsNoticeAndNextStep() throws {
        var rig = try Rig()
        let record = try Self.armedRecord(&rig, Self.alert, seq: 3)
        _ = rig.tick()
        _ = rig.stored(.dueDeadlines([record], before: record.dueAt + 60_000, limit: DeadlineWindow.limit))
        #expect(rig.tick(after: record.dueAt - rig.now - 1).fires.isEmpty)
        let fired = rig.tick(after: 1).fires
        let fire = try #require(fired.first)
        #expect(fire.deadlineId == record.id)
        #expect(fire.next.map { $0.dueAt > record.dueAt } == true)
        let notice = try #require(fire.notice)
        #expect(notice.isNotice)
        #expect(notice.message.sender == EscalationSettings.brokerSender)
        #expect(notice.message.kind == "escalation.notice")
        #expect(!notice.message.digest.isEmpty)
        #expect(fire.audit?.name == .escalated)
        // The body's bytes, as they have always been written (sorted members, no whitespace).
        #expect(
            String(decoding: notice.message.body, as: UTF8.self)
                == #"{"case_id":"case-7","chain":[],"deadline":"2026-03-02T09:01:00+08:00","#
                + #""escalated_at":"2026-03-02T09:01:00+08:00","level":1,"next_escalation_at":"#
                + #""2026-03-02T09:16:00+08:00","overdue":{"awaiting":"delivery","kind":"crisis.alert","#
                + #""message":{"from":"gl-school-1","id":"a-1"},"party":"gl-psb"}}"#)
        let step = try #require(fire.next)
        // The next step names the alert's item and notice itself: nothing is left for the store to fill in.
        #expect(step.item == .text(record.item) && step.notice == record.notice)
        let nextRecord = Self.stored(step, seq: 0, id: 2)
        let second = try #require(rig.machine.fire(nextRecord, now: step.dueAt)?.notice)
        #expect(
            String(decoding: second.message.body, as: UTF8.self)
                == #"{"case_id":"case-7","chain":[{"at":"2026-03-02T09:01:00+08:00","level":1,"#
                + #""notified":["gl-edu-bureau","gl-civil-bureau"]}],"deadline":"2026-03-02T09:01:00+08:00","#
                + #""escalated_at":"2026-03-02T09:16:00+08:00","level":2,"next_escalation_at":"#
                + #""2026-03-02T09:31:00+08:00","overdue":{"awaiting":"delivery","kind":"crisis.alert","#
                + #""message":{"from":"gl-school-1","id":"a-1"},"party":"gl-psb"}}"#)
        // The notice is delivered like any message once the fire commits.
        let recipient = try #require(notice.message.recipients.first)
        rig.connect(recipient)
        _ = rig.stored(
            .accepted(notice, .stored(seq: 11)), .fired(deadlineId: record.id, fired: true, nextDue: fire.next?.dueAt))
        #expect(rig.tick().delivers.map(\.deliver.seq).contains(11))
    }

    @Test func aRowTheMachineCannotReadIsClosed() throws {
        var rig = try Rig()
        let row = DeadlineRecord(
            id: 5, caseId: "c", item: "nonsense", dueAt: rig.now, level: 0,
            notice: DeadlineNotice(
                kind: "crisis.alert", armedBy: 3, sender: "gl-school-1", messageId: "a-1", originalDue: rig.now),
            policy: "v0", state: .open, createdAt: nil, closedAt: nil, region: nil, agency: nil, risk: nil)
        _ = rig.tick()
        _ = rig.stored(.dueDeadlines([row], before: rig.now + 1_000, limit: DeadlineWindow.limit))
        let fire = try #require(rig.tick().fires.first)
        #expect(fire.next == nil && fire.notice == nil)
    }
}
