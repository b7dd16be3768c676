import StoreModel
import Testing

/// The purge walk both stores take (`PurgeWalk`, pure): where it stops, what it counts as examined, which bodies it
/// purges by which rule, and what the step reports. The stores' SQL around it is in RetentionTests and the
/// PostgreSQL conformance tests.
@Suite struct PurgeWalkTests {
    let periods = RetentionPeriods(closedCase: 1_000, caseless: 500, deadLetter: 2_000)
    let now: Int64 = 5_000
    /// `now` minus the shortest period (caseless): the newest acceptance any rule can purge.
    var horizon: Int64 { 4_500 }

    func step(afterSeq: Int64 = 0, limit: Int = 10, periods: RetentionPeriods? = nil) -> PurgeStep {
        PurgeStep(now: now, periods: periods ?? self.periods, afterSeq: afterSeq, limit: limit)
    }

    /// A message settled long ago without a case: purged by the caseless rule.
    func old(_ seq: Int64, acceptedAt: Int64 = 1_000) -> PurgeCandidate {
        PurgeCandidate(
            seq: seq, acceptedAt: acceptedAt, openDeliveries: 0, lastDeadLetterAt: nil, lastSettledAt: 2_000,
            caseStatus: nil, caseUpdatedAt: nil)
    }

    @Test func purgesEachCandidateByItsRuleAndKeepsTheOthers() throws {
        let candidates = [
            old(3),
            PurgeCandidate(
                seq: 4, acceptedAt: 1_000, openDeliveries: 0, lastDeadLetterAt: nil, lastSettledAt: 2_000,
                caseStatus: "completed", caseUpdatedAt: 3_000),
            PurgeCandidate(
                seq: 5, acceptedAt: 1_000, openDeliveries: 0, lastDeadLetterAt: 2_500, lastSettledAt: 2_500,
                caseStatus: "completed", caseUpdatedAt: 2_500),
            // Kept: a pending delivery, an open case, a dead letter too young for its period.
            PurgeCandidate(
                seq: 6, acceptedAt: 1_000, openDeliveries: 1, lastDeadLetterAt: nil, lastSettledAt: 2_000,
                caseStatus: nil, caseUpdatedAt: nil),
            PurgeCandidate(
                seq: 7, acceptedAt: 1_000, openDeliveries: 0, lastDeadLetterAt: nil, lastSettledAt: 2_000,
                caseStatus: "accepted", caseUpdatedAt: 1_500),
            PurgeCandidate(
                seq: 8, acceptedAt: 1_000, openDeliveries: 0, lastDeadLetterAt: 3_500, lastSettledAt: 3_500,
                caseStatus: nil, caseUpdatedAt: nil),
        ]
        let walk = try #require(PurgeWalk(step(), candidates: candidates))
        #expect(
            walk.decisions == [
                PurgeDecision(seq: 3, purgeClass: .caseless), PurgeDecision(seq: 4, purgeClass: .closedCase),
                PurgeDecision(seq: 5, purgeClass: .deadLetter),
            ])
        #expect(walk.examined == 6)
        #expect(walk.lastSeq == 8)
        #expect(walk.finished)  // fewer candidates than the limit: the end of the messages
    }

    @Test func stopsAtTheFirstMessageAcceptedAfterTheHorizon() throws {
        // Seq 5 is too young for any rule; seq 6 behind it is old but the walk must not reach it (seq order).
        let candidates = [old(3), old(4, acceptedAt: horizon), old(5, acceptedAt: horizon + 1), old(6)]
        let walk = try #require(PurgeWalk(step(limit: 4), candidates: candidates))
        #expect(walk.reachedHorizon)
        #expect(walk.finished)
        #expect(walk.examined == 2)
        #expect(walk.lastSeq == 4)
        #expect(walk.decisions.map(\.seq) == [3, 4])
        // Once stopped it takes nothing more.
        var stopped = walk
        let taken = stopped.examine(old(7))
        #expect(!taken)
        #expect(stopped.examined == 2)
    }

    @Test func aFullPageBeforeTheHorizonIsNotTheEnd() throws {
        let walk = try #require(PurgeWalk(step(afterSeq: 2, limit: 3), candidates: [old(3), old(4), old(5)]))
        #expect(!walk.finished)  // the next step starts after seq 5
        #expect(walk.examined == 3)
        #expect(walk.lastSeq == 5)
        let short = try #require(PurgeWalk(step(afterSeq: 2, limit: 3), candidates: [old(3), old(4)]))
        #expect(short.finished)
        // An empty page: nothing looked at, the walk stays where it was and is over.
        let empty = try #require(PurgeWalk(step(afterSeq: 9, limit: 3), candidates: []))
        #expect(empty.finished)
        #expect(empty.lastSeq == 9)
        #expect(empty.result() == step(afterSeq: 9).skipped)
    }

    @Test func countsOnlyTheBodiesTheStorePurged() throws {
        let candidates = [
            old(3),
            PurgeCandidate(
                seq: 4, acceptedAt: 1_000, openDeliveries: 0, lastDeadLetterAt: 2_500, lastSettledAt: 2_500,
                caseStatus: nil, caseUpdatedAt: nil),
            old(5),
        ]
        var walk = try #require(PurgeWalk(step(limit: 3), candidates: candidates))
        // Seq 3's body went meanwhile (its row did not change): the store reports only 4 and 5.
        for decision in walk.decisions where decision.seq != 3 { walk.purged(decision) }
        let result = walk.result(pagesFreed: 7)
        #expect(result.counts == PurgeCounts(closedCase: 0, caseless: 1, deadLetters: 1))
        #expect(result.purgedSeqs == [4, 5])
        #expect(result.lastSeq == 5)
        #expect(!result.finished)
        #expect(result.pagesFreed == 7)
        #expect(result.audit == nil)
    }

    @Test func aStepWithNothingToLookAtIsSkipped() {
        #expect(PurgeWalk(step(periods: .forever)) == nil)
        #expect(PurgeWalk(step(limit: 0)) == nil)
        let skipped = step(afterSeq: 12).skipped
        #expect(skipped.finished)
        #expect(skipped.lastSeq == 12)
        #expect(skipped.purgedSeqs.isEmpty && skipped.counts.total == 0)
        // One period is enough to walk, and the horizon is the shortest one's.
        let walk = PurgeWalk(step(periods: RetentionPeriods(closedCase: nil, caseless: nil, deadLetter: 2_000)))
        #expect(walk?.horizon == now - 2_000)
        #expect(PurgeWalk(step())?.horizon == horizon)
    }
}
