import BrokerCore
import ReferralProtocol
import Testing

/// What the broker's loop asks the scheduler every turn: its effects (into a buffer the caller keeps) and when to
/// wake it.
@Suite struct SchedulerOutputTests {
    @Test func effectsTakenIntoABufferReplaceWhatItHeldAndAreTakenOnce() {
        var h = Harness()
        h.connect("school", window: 2)
        h.accept(1, to: "school")
        h.accept(2, to: "school")
        h.scheduler.pump(now: h.now)
        var buffer: [Effect] = [.ping(node: "stale")]
        h.scheduler.takeEffects(into: &buffer)
        #expect(buffer.seqsDelivered == [1, 2])
        #expect(!buffer.contains(.ping(node: "stale")))
        h.scheduler.takeEffects(into: &buffer)
        #expect(buffer.isEmpty)
        #expect(h.scheduler.takeEffects().isEmpty)
    }

    @Test func theNextWakeupIsTheEarliestTimer() {
        var h = Harness { $0.heartbeatMs = 60_000 }  // ack timeout 10 s, backoff 1 s
        #expect(h.scheduler.nextWakeup() == nil)
        h.connect("school")
        let heartbeat = h.scheduler.nextWakeup()
        #expect(heartbeat != nil)
        h.accept(7, to: "school")
        #expect(h.delivered().map(\.seq) == [7])
        // The ACK deadline comes before the next heartbeat check.
        #expect(h.scheduler.nextWakeup() == h.now + 10_000)
        h.advance(10_000)
        _ = h.step()
        // Backing off 1 s before the second attempt.
        #expect(h.scheduler.nextWakeup() == h.now + 1_000)
    }
}
