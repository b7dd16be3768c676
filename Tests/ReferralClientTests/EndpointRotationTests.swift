import Testing

@testable import ReferralClient

/// The choice of broker endpoint and wait after each failed try (1/RBP §11.4, several endpoints).
@Suite struct EndpointRotationTests {
    /// Jitter at its low end (× 0.8) and at its high end (× 1.2).
    let low: (ClosedRange<Double>) -> Double = { $0.lowerBound }
    let high: (ClosedRange<Double>) -> Double = { $0.upperBound }

    private func rotation(_ endpoints: [String], initial: Int64 = 1000, max: Int64 = 32000) -> EndpointRotation {
        EndpointRotation(endpoints: endpoints, initialBackoffMs: initial, maxBackoffMs: max)
    }

    @Test func notActiveMovesToTheNextEndpointSoonUntilAWholeRoundFailed() {
        var rotation = rotation(["tcp://a:1", "tcp://b:1", "tcp://c:1"])
        #expect(rotation.current == "tcp://a:1")
        #expect(rotation.failed(.tryAnother, now: 10_000, random: low) == 10_000 + 200)
        #expect(rotation.current == "tcp://b:1")
        #expect(rotation.failed(.tryAnother, now: 20_000, random: low) == 20_000 + 200)
        #expect(rotation.current == "tcp://c:1")
        // The third endpoint gives no session either: the round is over, the backoff applies (1 s, jittered),
        // then the next round starts with the first endpoint.
        #expect(rotation.failed(.tryAnother, now: 30_000, random: low) == 30_000 + 800)
        #expect(rotation.current == "tcp://a:1")
        #expect(rotation.failed(.tryAnother, now: 40_000, random: low) == 40_000 + 200)
        #expect(rotation.failed(.tryAnother, now: 50_000, random: low) == 50_000 + 200)
        // The second round's backoff has doubled.
        #expect(rotation.failed(.tryAnother, now: 60_000, random: low) == 60_000 + 1600)
        #expect(rotation.current == "tcp://a:1")
    }

    @Test func staysOnTheEndpointThatWelcomedAndStartsANewRoundAfterIt() {
        var rotation = rotation(["tcp://a:1", "tcp://b:1"])
        _ = rotation.failed(.tryAnother, now: 0, random: low)
        _ = rotation.failed(.tryAnother, now: 0, random: low)  // a round: backoff 1 s, now 2 s
        #expect(rotation.backoffMs == 2000)
        _ = rotation.failed(.tryAnother, now: 0, random: low)
        #expect(rotation.current == "tcp://b:1")
        rotation.welcomed()
        #expect(rotation.current == "tcp://b:1")
        #expect(rotation.backoffMs == 1000)
        // The active instance stops: the other endpoint soon; the first failure after a WELCOME begins a round.
        #expect(rotation.failed(.tryAnother, now: 0, random: low) == 200)
        #expect(rotation.current == "tcp://a:1")
        #expect(rotation.failed(.tryAnother, now: 0, random: low) == 800)
        #expect(rotation.current == "tcp://b:1")
    }

    @Test func otherFailuresBackOffOnTheSameEndpoint() {
        var rotation = rotation(["tcp://a:1", "tcp://b:1"])
        _ = rotation.failed(.tryAnother, now: 0, random: low)
        #expect(rotation.current == "tcp://b:1")
        // Another fatal ERROR: another endpoint would say the same. The round starts over.
        #expect(rotation.failed(.backOff, now: 0, random: low) == 800)
        #expect(rotation.current == "tcp://b:1")
        #expect(rotation.givenUp == 0)
        #expect(rotation.failed(.tryAnother, now: 0, random: low) == 200)
        #expect(rotation.current == "tcp://a:1")
    }

    @Test func withOneEndpointNotActiveIsLikeAnyFatalError() {
        var single = rotation(["tcp://a:1"], initial: 50, max: 200)
        #expect(!single.hasSeveral)
        let waits = (0..<5).map { _ in single.failed(.tryAnother, now: 0, random: low) }
        #expect(waits == [40, 80, 160, 160, 160])
        #expect(single.current == "tcp://a:1")
        var other = rotation(["tcp://a:1"], initial: 50, max: 200)
        #expect((0..<5).map { _ in other.failed(.backOff, now: 0, random: low) } == waits)
    }

    @Test func everyWaitIsJitteredWithinTwentyPercent() {
        var rotation = rotation(["tcp://a:1", "tcp://b:1"])
        #expect(rotation.failed(.tryAnother, now: 0, random: high) == 300)
        #expect(rotation.failed(.tryAnother, now: 0, random: high) == 1200)
        #expect(rotation.failed(.tryAnother, now: 0, random: low) == 200)
        for _ in 0..<100 {
            rotation.welcomed()
            #expect((200...300).contains(rotation.failed(.tryAnother, now: 0) { Double.random(in: $0) }))
        }
    }

    @Test func theBackoffStopsAtItsMaximum() {
        var rotation = rotation(["tcp://a:1", "tcp://b:1"], initial: 1000, max: 4000)
        var roundWaits: [Int64] = []
        for _ in 0..<5 {
            _ = rotation.failed(.tryAnother, now: 0, random: low)
            roundWaits.append(rotation.failed(.tryAnother, now: 0, random: low))
        }
        #expect(roundWaits == [800, 1600, 3200, 3200, 3200])
    }
}
