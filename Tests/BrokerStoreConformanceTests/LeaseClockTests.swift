import BrokerStorePostgres
import Testing

/// The lease's timing rules (POSTGRES-PLAN §5.1, §5.3) on the pure `LeaseClock`: time is a number the test passes.
/// Defaults: ttl 3000 ms, renew 1000 ms, standby poll 500 ms, so the silence limit is 2000 ms.
struct LeaseClockTests {
    /// A clock that won epoch 7 with the acquire sent at `wonAt`.
    private func active(epoch: Int64 = 7, wonAt: Int64 = 0) -> LeaseClock {
        var clock = LeaseClock(now: wonAt)
        #expect(clock.poll(now: wonAt).operation == .acquire)
        #expect(clock.acquired(.won(epoch: epoch), now: wonAt + 5) == [.becameActive(epoch: epoch)])
        return clock
    }

    @Test func theDefaultsAreThoseOfThePlan() {
        let timings = LeaseTimings()
        #expect(timings.ttlMilliseconds == 3000)
        #expect(timings.renewMilliseconds == 1000)
        #expect(timings.standbyPollMilliseconds == 500)
        #expect(timings.silenceLimitMilliseconds == 2000)
        #expect(timings.problem == nil)
    }

    @Test func timingsThatWouldGiveUpBeforeTheFirstRenewalAreRefused() {
        #expect(LeaseTimings(ttlMilliseconds: 2000, renewMilliseconds: 1000).problem != nil)
        #expect(LeaseTimings(ttlMilliseconds: 2001, renewMilliseconds: 1000).problem == nil)
        #expect(LeaseTimings(renewMilliseconds: 0).problem != nil)
        #expect(LeaseTimings(standbyPollMilliseconds: 0).problem != nil)
    }

    @Test func aStandbyTriesAtOnceThenEveryPollInterval() {
        var clock = LeaseClock(now: 100)
        #expect(clock.role == .standby)
        #expect(clock.poll(now: 100) == .init(events: [], operation: .acquire))
        #expect(clock.acquired(.notWon, now: 130) == [])
        #expect(clock.poll(now: 130).operation == .sleep(until: 600))
        #expect(clock.poll(now: 599).operation == .sleep(until: 600))
        #expect(clock.poll(now: 600).operation == .acquire)
        #expect(clock.role == .standby)
    }

    @Test func aFailedAcquireIsRetriedAPollIntervalAfterTheFailure() {
        var clock = LeaseClock(now: 0)
        _ = clock.poll(now: 0)
        // A connection attempt that took 1.2 s: the next try waits a full interval after it, not at once.
        #expect(clock.acquired(.failed, now: 1200) == [])
        #expect(clock.poll(now: 1200).operation == .sleep(until: 1700))
        #expect(clock.poll(now: 1700).operation == .acquire)
    }

    @Test func winningMakesItActiveAndTheFirstRenewalIsDueARenewIntervalAfterTheAcquireWasSent() {
        var clock = LeaseClock(now: 0)
        _ = clock.poll(now: 0)
        #expect(clock.acquired(.won(epoch: 3), now: 40) == [.becameActive(epoch: 3)])
        #expect(clock.role == .active(epoch: 3))
        #expect(clock.giveUpAt == 2000)
        #expect(clock.poll(now: 40).operation == .sleep(until: 1000))
        #expect(clock.poll(now: 1000).operation == .renew(epoch: 3))
    }

    @Test func aRenewalMovesTheNextRenewalAndTheGiveUpMomentFromWhenItWasSent() {
        var clock = active()
        #expect(clock.poll(now: 1000).operation == .renew(epoch: 7))
        // Answered 900 ms later: the database set the expiry at some moment after 1000, so 1000 counts.
        #expect(clock.renewed(.renewed, now: 1900) == [])
        #expect(clock.giveUpAt == 3000)
        #expect(clock.poll(now: 1900).operation == .sleep(until: 2000))
        #expect(clock.poll(now: 2000).operation == .renew(epoch: 7))
        #expect(clock.role == .active(epoch: 7))
    }

    @Test func aLostRenewalStopsAtOnceWithoutReleasingAndPollsAgain() {
        var clock = active()
        _ = clock.poll(now: 1000)
        #expect(clock.renewed(.lost, now: 1010) == [.stoppedBeingActive(epoch: 7, reason: .lost)])
        #expect(clock.role == .standby)
        #expect(clock.giveUpAt == nil)
        // Nothing to release: the row carries another epoch.
        #expect(clock.poll(now: 1010).operation == .sleep(until: 1510))
        #expect(clock.poll(now: 1510).operation == .acquire)
    }

    @Test func aFailedRenewalIsRetriedAfterThePollIntervalWhileStillActive() {
        var clock = active()
        _ = clock.poll(now: 1000)
        #expect(clock.renewed(.failed, now: 1100) == [])
        #expect(clock.role == .active(epoch: 7))
        #expect(clock.poll(now: 1100).operation == .sleep(until: 1600))
        #expect(clock.poll(now: 1600).operation == .renew(epoch: 7))
        #expect(clock.renewed(.renewed, now: 1650) == [])
        #expect(clock.giveUpAt == 3600)
    }

    @Test func silenceForTtlMinusRenewStopsBeforeTheLeaseCanExpireAndReleasesIt() {
        var clock = active()
        _ = clock.poll(now: 1000)
        #expect(clock.renewed(.failed, now: 1000) == [])
        _ = clock.poll(now: 1500)
        #expect(clock.renewed(.failed, now: 1800) == [])
        // The retry would be due at 2300, after the give-up moment: it wakes at 2000 instead.
        #expect(clock.poll(now: 1800).operation == .sleep(until: 2000))
        #expect(clock.poll(now: 1999).operation == .sleep(until: 2000))
        let step = clock.poll(now: 2000)
        #expect(step.events == [.stoppedBeingActive(epoch: 7, reason: .silent)])
        #expect(step.operation == .release(epoch: 7))
        #expect(clock.role == .standby)
        clock.released(now: 2010)
        #expect(clock.poll(now: 2010).operation == .sleep(until: 2500))
        #expect(clock.poll(now: 2500).operation == .acquire)
    }

    @Test func aRenewalAnsweredAfterTheGiveUpMomentStillStops() {
        var clock = active()
        _ = clock.poll(now: 1000)
        #expect(clock.renewed(.renewed, now: 1100) == [])
        #expect(clock.poll(now: 2000).operation == .renew(epoch: 7))
        // Sent at 2000, the give-up moment became 4000 only if it succeeds; it answers at 4000: too late to trust.
        #expect(clock.renewed(.renewed, now: 4000) == [.stoppedBeingActive(epoch: 7, reason: .silent)])
        #expect(clock.poll(now: 4000).operation == .release(epoch: 7))
    }

    @Test func aRenewalThatNeverAnswersIsCutAtTheGiveUpMoment() {
        var clock = active()
        #expect(clock.poll(now: 1000).operation == .renew(epoch: 7))
        // The shell bounds the statement by giveUpAt and reports it failed then.
        #expect(clock.giveUpAt == 2000)
        #expect(clock.renewed(.failed, now: 2000) == [.stoppedBeingActive(epoch: 7, reason: .silent)])
        #expect(clock.role == .standby)
    }

    @Test func resigningStopsAndReleasesThenStaysAStandby() {
        var clock = active()
        #expect(clock.resign(now: 300) == [.stoppedBeingActive(epoch: 7, reason: .resigned)])
        #expect(clock.role == .standby)
        #expect(clock.poll(now: 300).operation == .release(epoch: 7))
        clock.released(now: 310)
        #expect(clock.poll(now: 310).operation == .sleep(until: 800))
        #expect(clock.poll(now: 800).operation == .acquire)
    }

    @Test func aStandbyHasNothingToResign() {
        var clock = LeaseClock(now: 0)
        #expect(clock.resign(now: 0) == [])
        #expect(clock.poll(now: 0).operation == .acquire)
    }

    @Test func aReleaseIsAttemptedOnceEvenWhenItFails() {
        var clock = active()
        _ = clock.resign(now: 100)
        #expect(clock.poll(now: 100).operation == .release(epoch: 7))
        clock.released(now: 5000)
        // Not attempted again: the next thing is an acquire like any standby's.
        #expect(clock.poll(now: 5000).operation == .acquire)
    }

    @Test func aLeaseWonTooLateIsReleasedUnusedAndNeverReported() {
        var clock = LeaseClock(now: 0)
        _ = clock.poll(now: 0)
        #expect(clock.acquired(.won(epoch: 9), now: 2000) == [])
        #expect(clock.role == .standby)
        #expect(clock.poll(now: 2000).operation == .release(epoch: 9))
        clock.released(now: 2001)
        #expect(clock.poll(now: 2001).operation == .sleep(until: 2500))
    }

    @Test func resultsForAnotherOperationAreIgnored() {
        var clock = LeaseClock(now: 0)
        #expect(clock.renewed(.lost, now: 0) == [])
        _ = clock.poll(now: 0)
        #expect(clock.renewed(.renewed, now: 1) == [])
        #expect(clock.acquired(.won(epoch: 2), now: 2) == [.becameActive(epoch: 2)])
        // A second answer to the same acquire changes nothing.
        #expect(clock.acquired(.won(epoch: 3), now: 3) == [])
        #expect(clock.role == .active(epoch: 2))
    }

    @Test func customTimingsDriveEveryInterval() {
        let timings = LeaseTimings(ttlMilliseconds: 10_000, renewMilliseconds: 2000, standbyPollMilliseconds: 250)
        var clock = LeaseClock(timings: timings, now: 0)
        _ = clock.poll(now: 0)
        _ = clock.acquired(.notWon, now: 10)
        #expect(clock.poll(now: 10).operation == .sleep(until: 250))
        _ = clock.poll(now: 250)
        _ = clock.acquired(.won(epoch: 1), now: 260)
        #expect(clock.giveUpAt == 8250)
        #expect(clock.poll(now: 260).operation == .sleep(until: 2250))
    }

    @Test func aStopAlwaysFollowsTheStartOfTheSameEpochAcrossAWholeRun() {
        var clock = LeaseClock(now: 0)
        var events: [LeaseClock.Event] = []
        var now: Int64 = 0
        // Acquire fails, is refused, wins; two renewals; one fails; silence; release; wins again; loses.
        let script: [String] = ["failed", "notWon", "won:1", "ok", "ok", "failed", "failed", "failed", "won:2", "lost"]
        for entry in script {
            var step = clock.poll(now: now)
            events += step.events
            while case .sleep(let until) = step.operation {
                now = until
                step = clock.poll(now: now)
                events += step.events
            }
            if case .release = step.operation {
                clock.released(now: now)
                step = clock.poll(now: now)
                while case .sleep(let until) = step.operation {
                    now = until
                    step = clock.poll(now: now)
                }
            }
            switch (entry, step.operation) {
            case ("failed", .acquire): events += clock.acquired(.failed, now: now)
            case ("notWon", .acquire): events += clock.acquired(.notWon, now: now)
            case ("won:1", .acquire): events += clock.acquired(.won(epoch: 1), now: now)
            case ("won:2", .acquire): events += clock.acquired(.won(epoch: 2), now: now)
            case ("ok", .renew): events += clock.renewed(.renewed, now: now)
            case ("failed", .renew): events += clock.renewed(.failed, now: now)
            case ("lost", .renew): events += clock.renewed(.lost, now: now)
            default: Issue.record("\(entry) met \(step.operation)")
            }
        }
        #expect(
            events == [
                .becameActive(epoch: 1), .stoppedBeingActive(epoch: 1, reason: .silent),
                .becameActive(epoch: 2), .stoppedBeingActive(epoch: 2, reason: .lost),
            ])
    }
}
