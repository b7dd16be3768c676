// Retention of message bodies (issue 10): which bodies may be purged, and one step of a purge run. Pure values and
// the pure decision; the store only reads the facts of each candidate and carries the decision out.

/// How long a body is kept, per class, in milliseconds; nil keeps that class's bodies forever.
public struct RetentionPeriods: Sendable, Hashable {
    /// After the message's case closed (status completed, failed or cancelled).
    public var closedCase: Int64?
    /// After the last delivery of a message without a tracked case settled (acked or dead-lettered).
    public var caseless: Int64?
    /// After the message's last dead letter, whatever its case: an operator may still want to re-drive it.
    public var deadLetter: Int64?

    public init(closedCase: Int64?, caseless: Int64?, deadLetter: Int64?) {
        self.closedCase = closedCase
        self.caseless = caseless
        self.deadLetter = deadLetter
    }

    /// Nothing is ever purged.
    public static let forever = RetentionPeriods(closedCase: nil, caseless: nil, deadLetter: nil)

    /// Whether no class is ever purged.
    public var keepsEverything: Bool { closedCase == nil && caseless == nil && deadLetter == nil }

    /// Messages accepted after this time cannot be purged by any rule at `now` (every rule counts from a moment after
    /// the message was accepted); nil when nothing is ever purged.
    public func horizon(now: Int64) -> Int64? {
        let shortest = [closedCase, caseless, deadLetter].compactMap { $0 }.min()
        return shortest.map { now - $0 }
    }

    /// Which rule purges this candidate's body at `now`, nil when it must stay: a body with an open delivery always
    /// stays; a dead-lettered message follows the dead-letter period only; a message of a tracked case follows its
    /// case (an open or rejected case keeps it); any other message counts from its last settled delivery.
    public func purgeClass(of candidate: PurgeCandidate, now: Int64) -> PurgeClass? {
        guard candidate.openDeliveries == 0 else { return nil }
        if let deadAt = candidate.lastDeadLetterAt {
            guard let period = deadLetter, deadAt <= now - period else { return nil }
            return .deadLetter
        }
        if let status = candidate.caseStatus {
            guard let period = closedCase, Self.closedStatuses.contains(status),
                let closedAt = candidate.caseUpdatedAt, closedAt <= now - period
            else { return nil }
            return .closedCase
        }
        guard let period = caseless, let settledAt = candidate.lastSettledAt, settledAt <= now - period else {
            return nil
        }
        return .caseless
    }

    /// The case statuses that close a case for retention (CaseCore's `CaseStatus`: `rejected` may still be re-routed).
    public static let closedStatuses: Set<String> = ["completed", "failed", "cancelled"]
}

/// The rule that purged a body.
public enum PurgeClass: Sendable, Hashable {
    case closedCase, caseless, deadLetter
}

/// What the store knows of a message whose body is still stored, for `RetentionPeriods.purgeClass`.
public struct PurgeCandidate: Sendable, Hashable {
    public var seq: Int64
    public var acceptedAt: Int64
    /// Deliveries still pending (in flight or waiting, held ones included).
    public var openDeliveries: Int
    /// When its newest dead-lettered delivery was dead-lettered; nil: none.
    public var lastDeadLetterAt: Int64?
    /// When its newest settled delivery was settled; nil: none settled.
    public var lastSettledAt: Int64?
    /// Its case row's status; nil when the message has no tracked case (no case id, or no case row).
    public var caseStatus: String?
    /// When its case row last changed (for a closed case: when it closed).
    public var caseUpdatedAt: Int64?

    public init(
        seq: Int64, acceptedAt: Int64, openDeliveries: Int, lastDeadLetterAt: Int64?, lastSettledAt: Int64?,
        caseStatus: String?, caseUpdatedAt: Int64?
    ) {
        self.seq = seq
        self.acceptedAt = acceptedAt
        self.openDeliveries = openDeliveries
        self.lastDeadLetterAt = lastDeadLetterAt
        self.lastSettledAt = lastSettledAt
        self.caseStatus = caseStatus
        self.caseUpdatedAt = caseUpdatedAt
    }
}

/// Bodies purged, by rule.
public struct PurgeCounts: Sendable, Hashable {
    public var closedCase: Int
    public var caseless: Int
    public var deadLetters: Int

    public init(closedCase: Int = 0, caseless: Int = 0, deadLetters: Int = 0) {
        self.closedCase = closedCase
        self.caseless = caseless
        self.deadLetters = deadLetters
    }

    public var total: Int { closedCase + caseless + deadLetters }

    public mutating func add(_ purgeClass: PurgeClass) {
        switch purgeClass {
        case .closedCase: closedCase += 1
        case .caseless: caseless += 1
        case .deadLetter: deadLetters += 1
        }
    }

    public static func + (a: PurgeCounts, b: PurgeCounts) -> PurgeCounts {
        PurgeCounts(
            closedCase: a.closedCase + b.closedCase, caseless: a.caseless + b.caseless,
            deadLetters: a.deadLetters + b.deadLetters)
    }

    /// The audit record's detail of a purge run (`bodies-purged`).
    public var auditDetail: String { "closed_case=\(closedCase) caseless=\(caseless) dead_letters=\(deadLetters)" }

    /// A purge run's audit record: its counts, the operators who asked (none: the timer's run), whether it ended on
    /// a failed step. Nil for a timer's run that purged nothing (an hourly record of nothing would bury the others).
    public func auditEvent(at: Int64, operators: [String], failed: Bool = false) -> AuditEvent? {
        guard total > 0 || !operators.isEmpty else { return nil }
        var detail = auditDetail
        let names = Set(operators).sorted()
        if !names.isEmpty { detail += " operator=\(names.joined(separator: ","))" }
        if failed { detail += " ended=store-failed" }
        return AuditEvent(at: at, event: .bodiesPurged, detail: detail)
    }
}

/// One step of a purge run: one transaction that looks at up to `limit` messages whose body is still stored, with
/// seq after `afterSeq`, in seq order, and purges those `periods` allow at `now`.
public struct PurgeStep: Sendable, Hashable {
    public var now: Int64
    public var periods: RetentionPeriods
    public var afterSeq: Int64
    public var limit: Int
    /// Pages given back to the file system at most, after the step's purges (`PRAGMA incremental_vacuum`).
    public var vacuumPages: Int
    /// What the run purged in its earlier steps, and who asked for it: when this step ends the walk, its transaction
    /// appends the run's audit record (`PurgeCounts.auditEvent`, at `issuedAt`) with the purges it records.
    public var runCounts: PurgeCounts
    public var operators: [String]
    /// When the machine handed this step to the store.
    public var issuedAt: Int64

    public init(
        now: Int64, periods: RetentionPeriods, afterSeq: Int64, limit: Int, vacuumPages: Int = 4_096,
        runCounts: PurgeCounts = PurgeCounts(), operators: [String] = [], issuedAt: Int64? = nil
    ) {
        self.now = now
        self.periods = periods
        self.afterSeq = afterSeq
        self.limit = limit
        self.vacuumPages = vacuumPages
        self.runCounts = runCounts
        self.operators = operators
        self.issuedAt = issuedAt ?? now
    }
}

/// What one purge step did.
public struct PurgeStepResult: Sendable, Hashable {
    public var counts: PurgeCounts
    /// The messages whose bodies it purged (the broker forgets any copy it holds in memory).
    public var purgedSeqs: [Int64]
    /// The last seq it looked at: the next step starts after it.
    public var lastSeq: Int64
    /// Whether the walk is over: it reached messages too young for any rule, or the end.
    public var finished: Bool
    /// Pages the incremental vacuum gave back to the file system.
    public var pagesFreed: Int
    /// The run's audit record, written with this step (a finished walk that purged something or was asked for).
    public var audit: AuditEvent?

    public init(
        counts: PurgeCounts, purgedSeqs: [Int64], lastSeq: Int64, finished: Bool, pagesFreed: Int,
        audit: AuditEvent? = nil
    ) {
        self.counts = counts
        self.purgedSeqs = purgedSeqs
        self.lastSeq = lastSeq
        self.finished = finished
        self.pagesFreed = pagesFreed
        self.audit = audit
    }
}
