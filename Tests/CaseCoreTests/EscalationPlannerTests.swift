import CaseCore
import Testing

@Suite struct EscalationPlannerTests {
    let caseId = "9c8b7a6f-5e4d-4c3b-8a2f-1e0d9c8b7a6f"

    /// A crisis alert at 03:00 on a public holiday goes to four parties at once; each has its
    /// own one-minute delivery and fifteen-minute acknowledgment deadlines, and a late party's
    /// item climbs every agency's chain together, every fifteen minutes, until it is answered.
    @Test func aCrisisFansOutWithPerPartyDeadlinesDayAndNight() throws {
        let parties = ["police-1", "civil-affairs-1", "school-1", "hotline-1"]
        let chains: [String: EscalationChain] = [
            "police-1": [["psb-county"], ["psb-city"], ["psb-province"]],
            "civil-affairs-1": [["ca-county"], ["ca-city"], ["ca-province"]],
            "school-1": [["edu-county"], ["edu-city"], ["edu-province"]],
            "hotline-1": [["yl-county"], ["yl-city"], ["yl-province"]],
        ]
        // The late party's own chain first, then every other agency's.
        var timers = TimerTable(calendar: try nationalDay2025()) { deadline in
            let party = deadline.awaited.party
            return [chains[party]!] + parties.filter { $0 != party }.map { chains[$0]! }
        }
        let alerted = cst(2025, 10, 1, 3, 0)
        let source = DeadlineSource(caseId: caseId, seq: 900, kind: "crisis.alert", level: .crisis, acceptedAt: alerted)
        let deadlines = EscalationPolicies.default.deadlines(
            for: source, recipients: parties, calendar: try nationalDay2025())
        #expect(deadlines.count == 8)
        #expect(
            Set(deadlines.filter { if case .delivery = $0.awaited { true } else { false } }.map(\.due)) == [
                alerted + minute
            ])
        #expect(
            Set(deadlines.filter { if case .answer = $0.awaited { true } else { false } }.map(\.due)) == [
                alerted + 15 * minute
            ])
        timers.arm(deadlines)

        // Three systems take the alert at once; the school's is down for five minutes.
        for party in ["police-1", "civil-affairs-1", "hotline-1"] { timers.settle("900:d:\(party)") }
        let late = timers.advance(to: alerted + minute)
        #expect(late.map(\.itemId) == ["900:d:school-1"])
        #expect(late.first?.recipients == ["edu-county", "psb-county", "ca-county", "yl-county"])
        timers.settle("900:d:school-1")

        // Police, civil affairs and the hotline acknowledge; the school does not.
        for party in ["police-1", "civil-affairs-1", "hotline-1"] {
            timers.settle { $0.isAnswered(byKind: "crisis.acknowledged", from: party) }
        }
        let first = timers.advance(to: alerted + 15 * minute)
        #expect(first.map(\.itemId) == ["900:a:school-1"])
        #expect(first.first?.level == 1)
        #expect(first.first?.recipients == ["edu-county", "psb-county", "ca-county", "yl-county"])
        let second = timers.advance(to: alerted + 30 * minute)
        #expect(second.map(\.level) == [2])
        #expect(second.first?.recipients == ["edu-city", "psb-city", "ca-city", "yl-city"])
        #expect(second.first?.originalDue == alerted + 15 * minute)

        timers.settle { $0.isAnswered(byKind: "crisis.acknowledged", from: "school-1") }
        #expect(timers.advance(to: alerted + 3 * hour).isEmpty)
        #expect(timers.pending.isEmpty)
        #expect(timers.sent.count == 3)
    }

    /// A routine referral sent the day before the National Day break: its answer clock stops
    /// for the eight days off, runs on the make-up Saturday, and so does the repeat.
    @Test func aRoutineDeadlineCountsWorkingDaysOverHolidaysAndWeekends() throws {
        let calendar = try nationalDay2025()
        var timers = TimerTable(calendar: calendar) { _ in [[["health-county"], ["health-city"]]] }
        let source = DeadlineSource(
            caseId: caseId, seq: 300, kind: "referral.request", level: .routine, acceptedAt: cst(2025, 9, 30, 10))
        let deadlines = EscalationPolicies.default.deadlines(for: source, recipients: ["clinic-1"], calendar: calendar)
        #expect(deadlines.map(\.due) == [cst(2025, 10, 9, 10), cst(2025, 10, 11, 10)])
        timers.arm(deadlines)
        timers.settle("300:d:clinic-1")

        #expect(timers.advance(to: cst(2025, 10, 8, 23, 59)).isEmpty)
        #expect(timers.advance(to: cst(2025, 10, 11, 10)).map(\.recipients) == [["health-county"]])
        // Two working days from Saturday 11 (worked): Monday 13, Tuesday 14.
        #expect(timers.pending.map(\.due) == [cst(2025, 10, 14, 10)])
        #expect(timers.advance(to: cst(2025, 10, 14, 10)).map(\.recipients) == [["health-city"]])
        // The top of the chain was told and the answer is still missing: it is reminded every two working days.
        #expect(timers.pending.map(\.due) == [cst(2025, 10, 16, 10)])
        let reminder = timers.advance(to: cst(2025, 10, 16, 10))
        #expect(reminder.map(\.recipients) == [["health-city"]] && reminder.map(\.level) == [2])
        timers.settle("300:a:clinic-1")
        #expect(timers.advance(to: cst(2025, 12, 31)).isEmpty && timers.pending.isEmpty)
    }

    /// The operator shortens the routine policy while a referral is escalating: the running
    /// escalation keeps the values it started with; a referral sent after the edit gets the new.
    @Test func aPolicyEditedWhileAnEscalationRunsDoesNotChangeIt() throws {
        let before = try EscalationPolicies(
            document: PolicyDocument(levels: ["routine": PolicyEntry(maxSteps: 3)]), revision: "rev-a")
        let after = try EscalationPolicies(
            document: PolicyDocument(levels: ["routine": PolicyEntry(answer: "1d", repeatEvery: "5d", maxSteps: 1)]),
            revision: "rev-b")
        var timers = TimerTable { _ in [[["health-county"], ["health-city"], ["health-province"]]] }
        func request(_ seq: Int64, at time: Int64, _ policies: EscalationPolicies) -> Deadline {
            let source = DeadlineSource(
                caseId: caseId, seq: seq, kind: "referral.request", level: .routine, acceptedAt: time)
            return policies.deadlines(for: source, recipients: ["clinic-1"], calendar: WorkingCalendar())
                .first { if case .answer = $0.awaited { true } else { false } }!
        }
        let running = request(100, at: cst(2025, 6, 9, 10), before)  // Monday
        #expect(running.due == cst(2025, 6, 12, 10) && running.policy.id == "rev-a/referral.request/routine")
        timers.arm([running])
        #expect(timers.advance(to: cst(2025, 6, 12, 10)).map(\.level) == [1])

        // The reload: a new referral is set under rev-b.
        let later = request(200, at: cst(2025, 6, 12, 11), after)
        #expect(later.due == cst(2025, 6, 13, 11) && later.policy.maxSteps == 1)
        timers.arm([later])

        #expect(timers.advance(to: cst(2025, 6, 13, 11)).map(\.itemId) == ["200:a:clinic-1"])
        // rev-a's repeat (two working days) and three levels, not rev-b's five days and one level.
        #expect(timers.pending.map(\.due) == [cst(2025, 6, 16, 10), cst(2025, 6, 20, 11)])
        #expect(timers.advance(to: cst(2025, 6, 16, 10)).map(\.level) == [2])
        #expect(timers.advance(to: cst(2025, 6, 18, 10)).map(\.recipients) == [["health-province"]])
        #expect(timers.sent.map(\.itemId) == ["100:a:clinic-1", "200:a:clinic-1", "100:a:clinic-1", "100:a:clinic-1"])
        // Both stay open at the top of their climbs: rev-b's reminds the county, rev-a's the province.
        let reminders = timers.advance(to: cst(2025, 6, 20, 11))
        #expect(reminders.map(\.itemId) == ["100:a:clinic-1", "200:a:clinic-1"])
        #expect(reminders.map(\.recipients) == [["health-province"], ["health-county"]])
        #expect(reminders.map(\.level) == [3, 1])
    }

    @Test func firingTwiceGivesTheSameNoticeAndNextDeadline() throws {
        let planner = EscalationPlanner(calendar: WorkingCalendar())
        let source = DeadlineSource(
            caseId: caseId, seq: 42, kind: "referral.request", level: .urgent, acceptedAt: cst(2025, 6, 9, 10))
        let deadline = try #require(
            EscalationPolicies.default.deadlines(for: source, recipients: ["clinic-1"], calendar: WorkingCalendar())
                .last)
        let chains: [EscalationChain] = [[["health-county"], ["health-city"]]]

        #expect(planner.fire(deadline, stillOpen: true, chains: chains, now: deadline.due - 1) == .notDue)
        let once = planner.fire(deadline, stillOpen: true, chains: chains, now: deadline.due)
        let twice = planner.fire(deadline, stillOpen: true, chains: chains, now: deadline.due + hour)
        #expect(once == twice)
        guard case .escalate(let notice, let next) = once else {
            Issue.record("expected a notice and a next deadline, got \(once)")
            return
        }
        #expect(notice.id == "esc:42:a:clinic-1:0" && next.id == "42:a:clinic-1:1")
        #expect(next.due == cst(2025, 6, 11, 10) && next.originalDue == deadline.due && next.policy == deadline.policy)

        var timers = TimerTable { _ in chains }
        timers.arm([next, next])
        #expect(timers.pending.count == 1)
        #expect(planner.fire(deadline, stillOpen: false, chains: chains, now: deadline.due) == .answered)
    }

    /// Deadlines that fell due while the broker was down fire right after start, oldest first,
    /// and the escalation catches up with the level the item's age deserves.
    @Test func deadlinesMissedWhileDownFireOldestFirstOnStart() {
        var timers = TimerTable { _ in [[["l1"], ["l2"], ["l3"], ["l4"], ["l5"]]] }
        let start = cst(2025, 6, 9, 3)
        let a = DeadlineSource(caseId: caseId, seq: 1, kind: "crisis.alert", level: .crisis, acceptedAt: start)
        let b = DeadlineSource(
            caseId: caseId, seq: 2, kind: "crisis.alert", level: .crisis, acceptedAt: start + 10 * minute)
        let policies = EscalationPolicies.default
        timers.arm(policies.deadlines(for: a, recipients: ["police-1"], calendar: WorkingCalendar()))
        timers.arm(policies.deadlines(for: b, recipients: ["police-1"], calendar: WorkingCalendar()))
        timers.settle("1:d:police-1")
        timers.settle("2:d:police-1")

        let sent = timers.advance(to: start + 40 * minute)  // back after 40 minutes
        #expect(
            sent.map(\.id) == ["esc:1:a:police-1:0", "esc:2:a:police-1:0", "esc:1:a:police-1:1", "esc:2:a:police-1:1"])
        #expect(timers.pending.map(\.due) == [start + 45 * minute, start + 55 * minute])
    }

    /// An item still open at the top of its climb never drops out (issue 8, item 12): the climb stops at the
    /// policy's level limit or the top of the chain, and that level is reminded every repeat, each step a notice
    /// of its own (its own id), with a next deadline every time.
    @Test func theTopOfTheClimbIsRemindedForAsLongAsTheItemIsOpen() throws {
        let planner = EscalationPlanner(calendar: WorkingCalendar())
        func deadline(maxSteps: Int?) -> Deadline {
            Deadline(
                caseId: caseId, armedBy: 5, kind: "referral.request", awaited: .delivery(seq: 5, recipient: "n"),
                due: 0, policy: PolicySnapshot(id: "t", repeatMs: hour, maxSteps: maxSteps, clock: .continuous, fanOut: false))
        }
        func climb(_ start: Deadline, chains: [EscalationChain], steps: Int) -> [EscalationNotice] {
            var current = start
            var notices: [EscalationNotice] = []
            for _ in 0..<steps {
                guard case .escalate(let notice, let next) = planner.fire(
                    current, stillOpen: true, chains: chains, now: 100 * hour)
                else { return notices }
                #expect(next.level == current.level + 1 && next.due == current.due + hour)
                notices.append(notice)
                current = next
            }
            return notices
        }
        let chains: [EscalationChain] = [[["a1", "a2"], ["b"]], [["other-agency"]]]
        let beyond = climb(deadline(maxSteps: 4), chains: chains, steps: 12)
        #expect(beyond.map(\.recipients) == [["a1", "a2"]] + Array(repeating: ["b"], count: 11))
        #expect(beyond.map(\.level) == [1] + Array(repeating: 2, count: 11))
        #expect(Set(beyond.map(\.id)).count == 12 && beyond.last?.id == "esc:5:d:n:11")
        // A county bureau with no level above it: its one level, again and again.
        let county = climb(deadline(maxSteps: nil), chains: [[["county"]]], steps: 3)
        #expect(county.map(\.recipients) == [["county"], ["county"], ["county"]] && county.map(\.level) == [1, 1, 1])
        // A limit below the chain's height stops the climb there.
        let limited = climb(deadline(maxSteps: 1), chains: chains, steps: 3)
        #expect(limited.map(\.recipients) == [["a1", "a2"], ["a1", "a2"], ["a1", "a2"]])

        // No one to notify: nothing is sent, but the item stays open at the next step.
        for empty: [EscalationChain] in [[], [[]]] {
            let firing = planner.fire(deadline(maxSteps: nil), stillOpen: true, chains: empty, now: hour)
            guard case .noOneToNotify(let next) = firing else {
                Issue.record("expected no one to notify, got \(firing)")
                continue
            }
            #expect(next.level == 1 && next.due == hour)
        }
    }
}
