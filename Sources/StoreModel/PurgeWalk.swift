// Retention (issue 10): the walk of one purge step, pure. Both stores read a page of candidates (bodies still stored,
// after the step's seq, in seq order, at most its limit) and purge the bodies it names; what to purge, where the walk
// stops and what the step reports are decided here, once, so the stores cannot drift apart.

/// A body the walk purges, and the rule that purges it.
public struct PurgeDecision: Sendable, Hashable {
    public var seq: Int64
    public var purgeClass: PurgeClass

    public init(seq: Int64, purgeClass: PurgeClass) {
        self.seq = seq
        self.purgeClass = purgeClass
    }
}

/// One purge step's walk over its candidates: `examine` each in seq order until it says stop, purge the bodies of
/// `decisions` (each only if still stored), report each purge with `purged`, then take `result`.
public struct PurgeWalk: Sendable, Hashable {
    public let step: PurgeStep
    /// Messages accepted after this cannot be purged by any rule: the walk ends at the first of them.
    public let horizon: Int64
    /// The bodies to purge, in seq order.
    public private(set) var decisions: [PurgeDecision] = []
    /// Candidates looked at (those past the horizon are not).
    public private(set) var examined = 0
    /// The last seq looked at: the next step starts after it.
    public private(set) var lastSeq: Int64
    /// Whether the walk met a message accepted after the horizon.
    public private(set) var reachedHorizon = false
    /// What the store purged of `decisions`.
    public private(set) var counts = PurgeCounts()
    public private(set) var purgedSeqs: [Int64] = []

    /// Nil when the step has nothing to look at: every class is kept forever, or its limit is 0 (`PurgeStep.skipped`).
    public init?(_ step: PurgeStep) {
        guard let horizon = step.periods.horizon(now: step.now), step.limit > 0 else { return nil }
        self.step = step
        self.horizon = horizon
        self.lastSeq = step.afterSeq
    }

    /// The walk over a whole page of candidates, in seq order.
    public init?(_ step: PurgeStep, candidates: some Sequence<PurgeCandidate>) {
        self.init(step)
        for candidate in candidates where !examine(candidate) { break }
    }

    /// Looks at the next candidate (in seq order); false when the walk stops at it: it was accepted after the horizon,
    /// so it and every later one stay and are not counted as examined.
    public mutating func examine(_ candidate: PurgeCandidate) -> Bool {
        guard !reachedHorizon, candidate.acceptedAt <= horizon else {
            reachedHorizon = true
            return false
        }
        examined += 1
        lastSeq = candidate.seq
        if let purgeClass = step.periods.purgeClass(of: candidate, now: step.now) {
            decisions.append(PurgeDecision(seq: candidate.seq, purgeClass: purgeClass))
        }
        return true
    }

    /// The store purged this decision's body (its row changed: a body purged meanwhile by another step is not counted).
    public mutating func purged(_ decision: PurgeDecision) {
        counts.add(decision.purgeClass)
        purgedSeqs.append(decision.seq)
    }

    /// Whether the walk is over: it reached the horizon, or the page held fewer candidates than the limit (the end).
    public var finished: Bool { reachedHorizon || examined < step.limit }

    /// What the step did; `pagesFreed` is the store's own page work after the purges (SQLite's incremental vacuum).
    public func result(pagesFreed: Int = 0) -> PurgeStepResult {
        PurgeStepResult(
            counts: counts, purgedSeqs: purgedSeqs, lastSeq: lastSeq, finished: finished, pagesFreed: pagesFreed)
    }
}

extension PurgeStep {
    /// The result of a step with nothing to look at (`PurgeWalk(step)` is nil): nothing purged, the walk is over.
    public var skipped: PurgeStepResult {
        PurgeStepResult(counts: PurgeCounts(), purgedSeqs: [], lastSeq: afterSeq, finished: true, pagesFreed: 0)
    }
}
