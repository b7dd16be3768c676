import Testing

@testable import ReferralClient

@Suite struct OutboxSchedulerTests {
    private func row(_ position: Int64, caseId: String? = nil, notBefore: Int64? = nil, bodySize: Int = 0)
        -> OutboxRow
    {
        OutboxRow(
            position: position, id: "m-\(position)", to: ["test-b"], kind: "referral.request", caseId: caseId,
            priority: .routine, body: [UInt8](repeating: 0x61, count: bodySize), retries: 0, notBefore: notBefore)
    }

    /// 1/RBP §11.2: a SEND is resent only after the ack timeout plus the time the SENDs on their way when it left
    /// (itself included) take at 20,000 octets per second, so a large upload on a slow link is not sent twice.
    @Test func theResendWaitsForWhatIsOnItsWayToCrossTheSlowestLink() {
        var scheduler = OutboxScheduler()
        scheduler.absorb(page: [row(1, bodySize: 200_000), row(2, bodySize: 100_000)], limit: 10, now: 0)
        #expect(drain(&scheduler, window: 10, now: 0) == ["m-1", "m-2"])
        // m-1: 1 s + 10 s; m-2 waits behind it: 1 s + 15 s.
        #expect(scheduler.nextDeadline(ackTimeout: 1_000) == 11_000)
        scheduler.tick(now: 10_999, ackTimeout: 1_000)
        #expect(!scheduler.hasUnsent)
        scheduler.tick(now: 11_000, ackTimeout: 1_000)
        #expect(drain(&scheduler, window: 10, now: 11_000) == ["m-1"])
        scheduler.tick(now: 15_999, ackTimeout: 1_000)
        #expect(!scheduler.hasUnsent)
        scheduler.tick(now: 16_000, ackTimeout: 1_000)
        #expect(drain(&scheduler, window: 10, now: 16_000) == ["m-2"])
    }

    private func drain(_ scheduler: inout OutboxScheduler, window: Int, now: Int64) -> [String] {
        var sent: [String] = []
        while let next = scheduler.nextToSend(window: window, now: now) { sent.append(next.id) }
        return sent
    }

    @Test func keepsAtMostWindowUnansweredAndPagesTheStore() {
        var scheduler = OutboxScheduler()
        #expect(scheduler.needsLoad(window: 2))
        scheduler.absorb(page: [row(1), row(2), row(3)], limit: 3, now: 0)
        #expect(scheduler.storeMayHaveMore)  // a full page: there may be more
        #expect(drain(&scheduler, window: 2, now: 0) == ["m-1", "m-2"])
        #expect(!scheduler.needsLoad(window: 2))
        scheduler.settle("m-1", now: 1)
        #expect(drain(&scheduler, window: 2, now: 1) == ["m-3"])
        #expect(scheduler.needsLoad(window: 3))
        scheduler.absorb(page: [], limit: 3, now: 1)
        #expect(!scheduler.storeMayHaveMore)
        scheduler.outboxChanged()
        #expect(scheduler.storeMayHaveMore)
        #expect(scheduler.cursor == 3)
    }

    /// Entries handed over by the API are taken without a read only while the scheduler has read every queued
    /// entry of the store and they fit in a page; otherwise the store is read again from the cursor.
    @Test func handedOverEntriesAreTakenOnlyOnceTheStoreIsReadToItsEnd() {
        var scheduler = OutboxScheduler()
        scheduler.handOver([row(1)], limit: 4, now: 0)
        #expect(scheduler.readyCount == 0 && scheduler.storeMayHaveMore, "not read yet: the store has it")
        scheduler.absorb(page: [row(1)], limit: 4, now: 0)
        #expect(!scheduler.storeMayHaveMore)
        scheduler.handOver([row(1), row(2), row(3)], limit: 4, now: 0)
        #expect(scheduler.readyCount == 3 && !scheduler.needsLoad(window: 10), "m-1 was read already, not taken twice")
        #expect(scheduler.cursor == 3)
        scheduler.handOver([row(4), row(5), row(6)], limit: 4, now: 0)
        #expect(scheduler.storeMayHaveMore && scheduler.cursor == 3, "more than a page: read them from the store")
        scheduler.handOver([row(7)], limit: 4, now: 0)
        #expect(scheduler.cursor == 3, "until the store is read to its end, handed entries wait there")
        #expect(drain(&scheduler, window: 10, now: 0) == ["m-1", "m-2", "m-3"])
        #expect(scheduler.needsLoad(window: 10))
    }

    /// The octets on their way (1/RBP §11.2) count every sent, unanswered body once, whatever answered or
    /// unsent it since.
    @Test func theOctetsOnTheWireFollowSendsAnswersAndResends() {
        var scheduler = OutboxScheduler()
        scheduler.absorb(page: [row(1, bodySize: 10), row(2, bodySize: 20), row(3, bodySize: 40)], limit: 10, now: 0)
        #expect(drain(&scheduler, window: 10, now: 0).count == 3)
        #expect(scheduler.octetsOnTheWire == 70)
        scheduler.settle("m-1", now: 1)
        scheduler.retryLater("m-2", notBefore: 100)
        #expect(scheduler.octetsOnTheWire == 40)
        scheduler.resendAll()
        scheduler.markUnsent("m-3")
        #expect(scheduler.octetsOnTheWire == 0)
        #expect(drain(&scheduler, window: 10, now: 2) == ["m-3"])
        #expect(scheduler.octetsOnTheWire == 40)
        scheduler.tick(now: 100, ackTimeout: nil)
        #expect(drain(&scheduler, window: 10, now: 100) == ["m-2"])
        #expect(scheduler.octetsOnTheWire == 60)
    }

    @Test func resendsEverythingUnansweredAfterWelcomeAndAfterTheAckTimeout() {
        var scheduler = OutboxScheduler()
        scheduler.absorb(page: [row(1), row(2)], limit: 10, now: 0)
        #expect(drain(&scheduler, window: 10, now: 0) == ["m-1", "m-2"])
        scheduler.resendAll()
        #expect(scheduler.hasUnsent)
        #expect(drain(&scheduler, window: 10, now: 100) == ["m-1", "m-2"])
        #expect(scheduler.nextDeadline(ackTimeout: 1000) == 1100)
        scheduler.settle("m-2", now: 500)
        scheduler.tick(now: 1100, ackTimeout: 1000)
        #expect(drain(&scheduler, window: 10, now: 1100) == ["m-1"])
        scheduler.markUnsent("m-1")  // ZeroMQ could not take it
        #expect(drain(&scheduler, window: 10, now: 1101) == ["m-1"])
    }

    /// The loop asks for the resend deadline on every turn, so the scheduler keeps a bound on it instead of
    /// walking every unanswered entry: an answer may leave the bound early (one idle wake-up, whose `tick` makes it
    /// exact again), a send made after a scan lowers it, and no resend is ever late.
    @Test func theResendDeadlineIsABoundNeverLaterThanTheFirstResend() {
        var scheduler = OutboxScheduler()
        scheduler.absorb(page: [row(1)], limit: 10, now: 0)
        #expect(drain(&scheduler, window: 10, now: 0) == ["m-1"])
        scheduler.absorb(page: [row(2)], limit: 10, now: 300)
        #expect(drain(&scheduler, window: 10, now: 300) == ["m-2"])
        #expect(scheduler.nextDeadline(ackTimeout: 1_000) == 1_000)
        scheduler.settle("m-1", now: 400)
        #expect(scheduler.nextDeadline(ackTimeout: 1_000) == 1_000, "early, never late")
        scheduler.tick(now: 1_000, ackTimeout: 1_000)
        #expect(!scheduler.hasUnsent)
        #expect(scheduler.nextDeadline(ackTimeout: 1_000) == 1_300, "exact after the scan")
        scheduler.settle("m-2", now: 1_200)
        scheduler.tick(now: 1_300, ackTimeout: 1_000)
        #expect(scheduler.nextDeadline(ackTimeout: 1_000) == nil, "nothing unanswered")
        scheduler.absorb(page: [row(3)], limit: 10, now: 1_400)
        #expect(drain(&scheduler, window: 10, now: 1_400) == ["m-3"])
        #expect(scheduler.nextDeadline(ackTimeout: 1_000) == 2_400, "a send after the scan sets the bound")
        scheduler.tick(now: 2_399, ackTimeout: 1_000)
        #expect(!scheduler.hasUnsent)
        scheduler.tick(now: 2_400, ackTimeout: 1_000)
        #expect(drain(&scheduler, window: 10, now: 2_400) == ["m-3"])
    }

    @Test func oneMessagePerCaseAtATimeInCommitOrder() {
        let caseA = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
        var scheduler = OutboxScheduler()
        scheduler.absorb(
            page: [row(1, caseId: caseA), row(2, caseId: caseA), row(3), row(4, caseId: caseA)], limit: 10, now: 0)
        #expect(drain(&scheduler, window: 10, now: 0) == ["m-1", "m-3"])
        // A retryable refusal keeps the case's place: m-2 still waits.
        scheduler.retryLater("m-1", notBefore: 50)
        #expect(drain(&scheduler, window: 10, now: 10) == [])
        #expect(scheduler.nextDeadline(ackTimeout: nil) == 50)
        scheduler.tick(now: 50, ackTimeout: nil)
        let resent = drain(&scheduler, window: 10, now: 50)
        #expect(resent == ["m-1"])
        scheduler.settle("m-1", now: 60)
        #expect(drain(&scheduler, window: 10, now: 60) == ["m-2"])
        scheduler.settle("m-2", now: 70)
        #expect(drain(&scheduler, window: 10, now: 70) == ["m-4"])
    }

    @Test func entriesStillBackingOffAfterARestartWait() {
        var scheduler = OutboxScheduler()
        scheduler.absorb(page: [row(1, notBefore: 500), row(2)], limit: 10, now: 100)
        #expect(drain(&scheduler, window: 10, now: 100) == ["m-2"])
        scheduler.tick(now: 500, ackTimeout: nil)
        #expect(drain(&scheduler, window: 10, now: 500) == ["m-1"])
    }

    @Test func lateAnswersForUnknownIdsAreIgnored() {
        var scheduler = OutboxScheduler()
        scheduler.settle("never-sent", now: 0)
        scheduler.retryLater("never-sent", notBefore: 10)
        #expect(scheduler.inFlight.isEmpty)
        #expect(scheduler.backingOff.isEmpty)
    }
}
