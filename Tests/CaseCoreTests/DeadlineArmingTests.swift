import CaseCore
import ReferralProtocol
import Testing

@Suite struct DeadlineArmingTests {
    let caseId = "5e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6"

    @Test func aReferralRequestWaitsForDeliveryAndAnAnswerFromItsService() {
        let source = DeadlineSource(
            caseId: caseId, seq: 100, kind: "referral.request", level: .urgent, acceptedAt: cst(2025, 6, 13, 15))
        let deadlines = EscalationPolicies.default.deadlines(
            for: source, recipients: ["clinic-1"], calendar: WorkingCalendar())
        let answerKinds: Set<String> = ["referral.received", "referral.accepted", "referral.declined"]
        #expect(
            deadlines.map(\.awaited) == [
                .delivery(seq: 100, recipient: "clinic-1"), .answer(kinds: answerKinds, from: "clinic-1"),
            ])
        // Friday 15:00: one hour, then 24 working hours (Monday 15:00).
        #expect(deadlines.map(\.due) == [cst(2025, 6, 13, 16), cst(2025, 6, 16, 15)])
        #expect(deadlines.map(\.id) == ["100:d:clinic-1:0", "100:a:clinic-1:0"])
        #expect(
            deadlines.allSatisfy {
                $0.level == 0 && $0.originalDue == $0.due && $0.policy.id == "default/referral.request/urgent"
            })
        #expect(deadlines[1].awaited.isAnswered(byKind: "referral.declined", from: "clinic-1"))
        #expect(!deadlines[1].awaited.isAnswered(byKind: "referral.declined", from: "clinic-2"))
        #expect(!deadlines[1].awaited.isAnswered(byKind: "referral.interim", from: "clinic-1"))
        #expect(
            deadlines[1].awaited.description
                == "answer (referral.accepted|referral.declined|referral.received) from clinic-1")
    }

    @Test func kindsWithoutAnAnswerOrWithDeadlinesTurnedOffSetLess() throws {
        let policies = try EscalationPolicies(
            document: PolicyDocument(kinds: ["escalation.notice": ["*": PolicyEntry(delivery: "off")]]), revision: "r2")
        let notice = DeadlineSource(caseId: caseId, seq: 7, kind: "escalation.notice", level: .routine, acceptedAt: 0)
        #expect(policies.deadlines(for: notice, recipients: ["county"], calendar: WorkingCalendar()).isEmpty)
        let visit = DeadlineSource(caseId: caseId, seq: 8, kind: "followup.visit", level: .followUp, acceptedAt: 0)
        #expect(
            policies.deadlines(for: visit, recipients: ["clinic-1"], calendar: WorkingCalendar()).map(\.awaited)
                == [.delivery(seq: 8, recipient: "clinic-1")])
    }

    @Test func aCrisisAlertWithoutACaseStillGetsPerPartyDeadlines() {
        let source = DeadlineSource(caseId: nil, seq: 77, kind: "crisis.alert", level: .crisis, acceptedAt: 0)
        let deadlines = EscalationPolicies.default.deadlines(
            for: source, recipients: ["police-1", "hotline-1"], calendar: WorkingCalendar())
        #expect(deadlines.map(\.id) == ["77:d:police-1:0", "77:a:police-1:0", "77:d:hotline-1:0", "77:a:hotline-1:0"])
        #expect(deadlines.allSatisfy { $0.caseId == nil && $0.kind == "crisis.alert" })
        let planner = EscalationPlanner(calendar: WorkingCalendar())
        let firing = planner.fire(deadlines[1], stillOpen: true, chains: [[["psb-county"]]], now: 15 * minute)
        guard case .escalate(let notice, _) = firing else {
            Issue.record("expected a notice, got \(firing)")
            return
        }
        #expect(notice.caseId == nil && notice.kind == "crisis.alert" && notice.armedBy == 77)
    }

    @Test func eachResponsiblePartyOwesItsOwnVisits() {
        let source = DeadlineSource(caseId: caseId, seq: 500, kind: "discharge.notice", level: .followUp, acceptedAt: 0)
        let plan = FollowUpPlan.standard
        let school = EscalationPolicies.default.followUpDeadlines(
            for: source, plan: plan, responsible: "school-1", calendar: WorkingCalendar())
        let director = EscalationPolicies.default.followUpDeadlines(
            for: source, plan: plan, responsible: "director-1", calendar: WorkingCalendar())
        #expect(school.count == 8 && director.count == 8)
        #expect(Set(school.map(\.itemId)).isDisjoint(with: director.map(\.itemId)))
        #expect(school.map(\.due) == director.map(\.due))
        let fromTheDischarge = EscalationPolicies.default.followUpDeadlines(
            for: source, plan: plan, responsible: "school-1", dischargedAt: -day, calendar: WorkingCalendar())
        #expect(fromTheDischarge.first?.due == 6 * day)
    }

    @Test func awaitedItemsAndSnapshotsRoundTripThroughText() throws {
        let items: [Awaited] = [
            .delivery(seq: 12, recipient: "node-a"),
            .answer(kinds: ["referral.accepted", "referral.declined", "referral.received"], from: "clinic_1.x"),
            .followUpVisit(number: 2, by: "director-1"),
        ]
        #expect(
            items.map(\.encoded) == [
                "delivery:12:node-a", "answer:clinic_1.x:referral.accepted,referral.declined,referral.received",
                "visit:2:director-1",
            ])
        for item in items { #expect(Awaited(encoded: item.encoded) == item) }
        for bad in ["", "delivery:x:node", "answer:node:", "visit:0:n", "visit:1", "later:1:n", "answer:n:a,,b"] {
            #expect(Awaited(encoded: bad) == nil, "\(bad)")
        }

        let snapshots = [
            EscalationPolicies.default.snapshot(for: "crisis.alert", level: .crisis),
            PolicySnapshot(
                id: "rev|odd/referral.request/routine", repeatMs: 2 * day, maxSteps: 3, clock: .workingDays,
                fanOut: false),
        ]
        #expect(snapshots[0].encoded == "900000|-|continuous|1|default/crisis.alert/crisis")
        for snapshot in snapshots { #expect(PolicySnapshot(encoded: snapshot.encoded) == snapshot) }
        for bad in [
            "", "0|-|continuous|1|x", "5|0|continuous|1|x", "5|-|office|1|x", "5|-|continuous|2|x", "5|-|continuous|1",
        ] {
            #expect(PolicySnapshot(encoded: bad) == nil, "\(bad)")
        }
    }
}
