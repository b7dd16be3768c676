import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// Retention through the machine: the purge timer (pure, injected time), one step at a time, the run's audit record
/// and reply, the message cache, STATUS. The store's part is in BrokerStoreTests/RetentionTests.
@Suite struct RetentionRuleTests {
    static let periods = RetentionPeriods(closedCase: 90_000, caseless: 30_000, deadLetter: 60_000)
    static let settings = RetentionSettings(periods: periods, intervalMs: 3_600_000, batch: 500)

    func rig() throws -> Rig { try Rig(configure: { $0.retention = Self.settings }) }

    func step(_ counts: PurgeCounts, seqs: [Int64] = [], last: Int64, finished: Bool) -> StoreCompletion {
        .purged(PurgeStepResult(counts: counts, purgedSeqs: seqs, lastSeq: last, finished: finished, pagesFreed: 0))
    }

    var purges: (([MachineAction]) -> [PurgeStep]) {
        { actions in actions.requests.compactMap { if case .purge(let step) = $0 { step } else { nil } } }
    }

    // MARK: - the rule, pure

    func candidate(
        open: Int = 0, dead: Int64? = nil, settled: Int64? = 1_000, status: String? = nil, updated: Int64? = nil
    ) -> PurgeCandidate {
        PurgeCandidate(
            seq: 1, acceptedAt: 500, openDeliveries: open, lastDeadLetterAt: dead, lastSettledAt: settled,
            caseStatus: status, caseUpdatedAt: updated)
    }

    @Test func whichRulePurgesABody() {
        let periods = Self.periods
        let late: Int64 = 1_000_000
        #expect(periods.purgeClass(of: candidate(), now: late) == .caseless)
        #expect(periods.purgeClass(of: candidate(), now: 30_999) == nil)
        #expect(periods.purgeClass(of: candidate(), now: 31_000) == .caseless)
        // A pending delivery keeps every body, whatever else holds.
        #expect(periods.purgeClass(of: candidate(open: 1, status: "completed", updated: 1), now: late) == nil)
        #expect(periods.purgeClass(of: candidate(settled: nil), now: late) == nil)
        // A tracked case: only once closed, counted from its closing.
        for status in ["completed", "failed", "cancelled"] {
            #expect(periods.purgeClass(of: candidate(status: status, updated: 2_000), now: 92_000) == .closedCase)
            #expect(periods.purgeClass(of: candidate(status: status, updated: 2_000), now: 91_999) == nil)
        }
        for status in ["requested", "accepted", "in-progress", "on-hold", "rejected"] {
            #expect(periods.purgeClass(of: candidate(status: status, updated: 2_000), now: late) == nil, "\(status)")
        }
        // A dead letter follows its own period only, in a closed case too.
        let dead = candidate(dead: 5_000, settled: 5_000, status: "completed", updated: 1)
        #expect(periods.purgeClass(of: dead, now: 64_999) == nil)
        #expect(periods.purgeClass(of: dead, now: 65_000) == .deadLetter)
        // A period of nil keeps the class forever.
        let noCaseless = RetentionPeriods(closedCase: 1, caseless: nil, deadLetter: 1)
        #expect(noCaseless.purgeClass(of: candidate(), now: late) == nil)
        #expect(noCaseless.horizon(now: late) == late - 1)
        #expect(RetentionPeriods.forever.horizon(now: late) == nil)
    }

    // MARK: - the timer, pure

    @Test func theTimerArmsAtTheFirstTickAndStartsARunOneIntervalLater() {
        var schedule = PurgeSchedule(settings: Self.settings)
        #expect(schedule.nextWakeup == nil)
        #expect(schedule.tick(now: 1_000) == nil)
        #expect(schedule.nextWakeup == 3_601_000)
        #expect(schedule.tick(now: 3_600_999) == nil)
        let first = schedule.tick(now: 3_601_000)
        #expect(first == PurgeStep(now: 3_601_000, periods: Self.periods, afterSeq: 0, limit: 500))
        // While a run goes, the timer neither wakes nor starts another.
        #expect(schedule.nextWakeup == nil)
        #expect(schedule.tick(now: 9_000_000) == nil)
    }

    @Test func aRunGoesOnFromTheLastSeqWithItsOwnTimeAndEndsWithTheSummedCounts() {
        var schedule = PurgeSchedule(settings: Self.settings)
        _ = schedule.tick(now: 0)
        _ = schedule.tick(now: 3_600_000)
        let first = PurgeStepResult(
            counts: PurgeCounts(closedCase: 2, caseless: 1), purgedSeqs: [4, 5, 9], lastSeq: 500, finished: false,
            pagesFreed: 3)
        let next = schedule.stepDone(first, now: 3_600_050, stopping: false)
        #expect(
            next
                == .step(
                    PurgeStep(
                        now: 3_600_000, periods: Self.periods, afterSeq: 500, limit: 500,
                        runCounts: PurgeCounts(closedCase: 2, caseless: 1), issuedAt: 3_600_050)))
        let last = PurgeStepResult(
            counts: PurgeCounts(deadLetters: 1), purgedSeqs: [600], lastSeq: 700, finished: true, pagesFreed: 0)
        guard case .finished(let run, nil)? = schedule.stepDone(last, now: 3_600_100, stopping: false) else {
            Issue.record("the run did not end")
            return
        }
        #expect(run.counts == PurgeCounts(closedCase: 2, caseless: 1, deadLetters: 1))
        #expect(run.startedAt == 3_600_000 && run.endedAt == 3_600_100 && !run.failed)
        #expect(schedule.last == run)
        // The next run is one interval after this one ended.
        #expect(schedule.nextWakeup == 7_200_100)
    }

    @Test func keepingEverythingForeverNeverStartsTheTimer() {
        var schedule = PurgeSchedule(settings: .keepForever)
        #expect(schedule.tick(now: 0) == nil)
        #expect(schedule.tick(now: 1 << 50) == nil)
        #expect(schedule.nextWakeup == nil)
    }

    @Test func aStoppingBrokerOrAFailedStepEndsTheRun() {
        var schedule = PurgeSchedule(settings: Self.settings)
        _ = schedule.request(operator: "ops-a", peer: operatorPeer, now: 10)
        let partial = PurgeStepResult(
            counts: PurgeCounts(caseless: 3), purgedSeqs: [1, 2, 3], lastSeq: 500, finished: false, pagesFreed: 0)
        guard case .finished(let stopped, nil)? = schedule.stepDone(partial, now: 20, stopping: true) else {
            Issue.record("a stopping broker goes on purging")
            return
        }
        #expect(stopped.counts.caseless == 3 && !stopped.failed)
        _ = schedule.request(operator: "ops-a", peer: operatorPeer, now: 30)
        guard case .finished(let failed, nil)? = schedule.stepDone(nil, now: 40, stopping: false) else {
            Issue.record("a failed step does not end the run")
            return
        }
        #expect(failed.failed && failed.counts == PurgeCounts())
    }

    // MARK: - the machine

    @Test func theTickSendsTheFirstStepAndEachStepsResultTheNext() throws {
        var rig = try rig()
        #expect(purges(rig.tick()).isEmpty)
        #expect(rig.machine.nextWakeup == rig.now + 3_600_000)
        let steps = purges(rig.tick(after: 3_600_000))
        #expect(steps.map(\.afterSeq) == [0])
        let next = rig.stored(step(PurgeCounts(caseless: 500), last: 800, finished: false))
        // The next step carries the run's counts so far: the store writes the run's record with the last step.
        #expect(purges(next).map(\.afterSeq) == [800])
        #expect(purges(next).map(\.runCounts) == [PurgeCounts(caseless: 500)])
        #expect(next.audits.isEmpty)
        let record = AuditEvent(at: rig.now, event: .bodiesPurged, detail: "closed_case=3 caseless=501 dead_letters=0")
        let end = rig.stored(
            .purged(
                PurgeStepResult(
                    counts: PurgeCounts(closedCase: 3, caseless: 1), purgedSeqs: [], lastSeq: 900, finished: true,
                    pagesFreed: 0, audit: record)))
        #expect(purges(end).isEmpty)
        #expect(end.audits.isEmpty)
        #expect(rig.machine.purges.last?.counts == PurgeCounts(closedCase: 3, caseless: 501))
    }

    @Test func aRunTheStoreDidNotRecordIsRecordedByTheMachine() throws {
        var rig = try rig()
        _ = rig.tick()
        _ = rig.tick(after: 3_600_000)
        let end = rig.stored(step(PurgeCounts(closedCase: 3, caseless: 1), last: 900, finished: true))
        #expect(
            end.audits == [
                AuditEvent(at: rig.now, event: .bodiesPurged, detail: "closed_case=3 caseless=1 dead_letters=0")
            ])
    }

    @Test func aTimersRunThatPurgedNothingIsNotAudited() throws {
        var rig = try rig()
        _ = rig.tick()
        _ = rig.tick(after: 3_600_000)
        let end = rig.stored(step(PurgeCounts(), last: 0, finished: true))
        #expect(end.audits.isEmpty && end.replies.isEmpty)
    }

    @Test func purgeIsAnsweredWhenItsRunEndsAuditedWithTheOperatorAndShownInStatus() throws {
        var rig = try rig()
        let shell = ShellFacts(startedAt: rig.now, endpoint: "tcp://127.0.0.1:5555", store: StoreStatistics())
        let asked = rig.handle(
            .admin(
                AdminArrival(request: .success(.purge(operator: "ops-a")), replyTo: operatorPeer, shell: shell),
                now: rig.now))
        #expect(purges(asked).map(\.operators) == [["ops-a"]] && asked.replies.isEmpty)
        // A second PURGE while the run goes waits for a run of its own, right after.
        let other = AdminPeer(routingId: [7, 7], delimited: false)
        let joined = rig.handle(
            .admin(
                AdminArrival(request: .success(.purge(operator: "ops-b")), replyTo: other, shell: shell), now: rig.now))
        #expect(purges(joined).isEmpty)
        rig.now += 25
        let end = rig.stored(step(PurgeCounts(closedCase: 1, deadLetters: 2), last: 10, finished: true))
        let expected = AdminPurge(at: rig.now, closedCase: 1, caseless: 0, deadLetters: 2, durationMs: 25)
        #expect(end.replies.map(\.response) == [.ok(.purge(expected))])
        #expect(end.replies.map(\.to) == [operatorPeer])
        #expect(
            end.audits == [
                AuditEvent(
                    at: rig.now, event: .bodiesPurged, detail: "closed_case=1 caseless=0 dead_letters=2 operator=ops-a")
            ])
        #expect(purges(end).map(\.operators) == [["ops-b"]])
        #expect(purges(end).map(\.afterSeq) == [0])
        let status = rig.handle(
            .admin(AdminArrival(request: .success(.status), replyTo: operatorPeer, shell: shell), now: rig.now))
        guard case .ok(.status(let shown))? = status.replies.first?.response else {
            Issue.record("no STATUS")
            return
        }
        #expect(shown.lastPurge == expected)
        let second = rig.stored(step(PurgeCounts(), last: 10, finished: true))
        #expect(second.replies.map(\.to) == [other])
    }

    @Test func aFailedStepIsStoreFailedForTheOperator() throws {
        var rig = try rig()
        let shell = ShellFacts(startedAt: rig.now, endpoint: "tcp://127.0.0.1:5555", store: StoreStatistics())
        _ = rig.handle(
            .admin(
                AdminArrival(request: .success(.purge(operator: "ops-a")), replyTo: operatorPeer, shell: shell),
                now: rig.now))
        let end = rig.stored(.purged(nil))
        #expect(end.replies.map(\.response) == [.error(AdminError(.storeFailed, "the purge could not be written"))])
        #expect(
            end.audits.map(\.detail) == ["closed_case=0 caseless=0 dead_letters=0 operator=ops-a ended=store-failed"])
    }

    @Test func aPurgedBodyIsNeverDeliveredFromTheMessageCache() throws {
        var rig = try rig()
        _ = rig.referralInFlight()
        #expect(rig.machine.cache[7] != nil)
        _ = rig.tick()
        _ = rig.tick(after: 3_600_000)
        _ = rig.stored(step(PurgeCounts(closedCase: 1), seqs: [7], last: 7, finished: true))
        #expect(rig.machine.cache[7] == nil)
    }
}
