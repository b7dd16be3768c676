import ReferralProtocol
import StoreModel

/// What the machine needs to purge old message bodies (retention, issue 10): the periods, how often a purge run
/// starts, and how many messages one step (one transaction on the store thread) looks at.
public struct RetentionSettings: Sendable, Hashable {
    public var periods: RetentionPeriods
    /// A purge run starts this long after the previous one ended (and this long after start).
    public var intervalMs: Int64
    /// Messages one step looks at (its transaction's size): small, so that the group commits between steps wait
    /// little.
    public var batch: Int

    public init(periods: RetentionPeriods, intervalMs: Int64, batch: Int) {
        self.periods = periods
        self.intervalMs = intervalMs
        self.batch = batch
    }

    /// Nothing is ever purged (by the timer; PURGE still runs and purges nothing).
    public static let keepForever = RetentionSettings(periods: .forever, intervalMs: 3_600_000, batch: 500)
}

/// When purge runs start and where the current one is: pure, time comes in. A run is a walk over the stored bodies
/// in seq order, one step at a time; the machine sends each step to the store thread and the next one only when
/// the previous one has come back, so the store runs the broker's group commits between steps. A run's `now` is
/// fixed when it starts: every step judges by the same time.
public struct PurgeSchedule: Sendable {
    public let settings: RetentionSettings
    /// When the timer starts the next run (nil: not armed yet, before the first tick, or a run is going).
    public private(set) var nextRunAt: Int64?
    public private(set) var current: Run?
    /// The last finished run.
    public private(set) var last: FinishedRun?

    public struct Run: Sendable, Hashable {
        public var startedAt: Int64
        public var afterSeq: Int64 = 0
        public var counts = PurgeCounts()
        /// Operators whose PURGE this run answers (empty: started by the timer).
        public var operators: [String] = []
        public var peers: [AdminPeer] = []
    }

    public struct FinishedRun: Sendable, Hashable {
        public var startedAt: Int64
        public var endedAt: Int64
        public var counts: PurgeCounts
        public var operators: [String]
        public var peers: [AdminPeer]
        /// A step failed: the run ended early (what it purged before stays purged).
        public var failed: Bool
    }

    public init(settings: RetentionSettings) { self.settings = settings }

    /// Whether the timer ever starts a run.
    var timerEnabled: Bool { !settings.periods.keepsEverything }

    /// When the machine must be woken for the timer (nil: a run is going, or the timer is off).
    public var nextWakeup: Int64? { current == nil && timerEnabled ? nextRunAt : nil }

    /// The timer: arms itself at the first tick (one interval later); when due and no run is going, starts one and
    /// returns its first step.
    public mutating func tick(now: Int64) -> PurgeStep? {
        guard timerEnabled, current == nil else { return nil }
        guard let due = nextRunAt else {
            nextRunAt = now + settings.intervalMs
            return nil
        }
        guard now >= due else { return nil }
        return start(now: now)
    }

    /// An operator's PURGE: joins the run that is going (answered when it ends, with its counts), or starts one now
    /// and returns its first step.
    public mutating func request(operator name: String, peer: AdminPeer, now: Int64) -> PurgeStep? {
        if current != nil {
            current?.operators.append(name)
            current?.peers.append(peer)
            return nil
        }
        let step = start(now: now)
        current?.operators.append(name)
        current?.peers.append(peer)
        return step
    }

    private mutating func start(now: Int64) -> PurgeStep {
        current = Run(startedAt: now)
        nextRunAt = nil
        return step(after: 0, run: current!)
    }

    private func step(after seq: Int64, run: Run) -> PurgeStep {
        PurgeStep(now: run.startedAt, periods: settings.periods, afterSeq: seq, limit: settings.batch)
    }

    /// What comes after a step: the next step, or the run's end.
    public enum Next: Sendable, Hashable {
        case step(PurgeStep)
        case finished(FinishedRun)
    }

    /// A step came back (`result` nil: it failed). `stopping`: the broker is stopping, so the run ends here.
    public mutating func stepDone(_ result: PurgeStepResult?, now: Int64, stopping: Bool) -> Next? {
        guard var run = current else { return nil }
        if let result {
            run.counts = run.counts + result.counts
            run.afterSeq = result.lastSeq
            if !result.finished && !stopping {
                current = run
                return .step(step(after: result.lastSeq, run: run))
            }
        }
        let finished = FinishedRun(
            startedAt: run.startedAt, endedAt: now, counts: run.counts, operators: run.operators, peers: run.peers,
            failed: result == nil)
        current = nil
        last = finished
        nextRunAt = now + settings.intervalMs
        return .finished(finished)
    }
}

extension PurgeSchedule.FinishedRun {
    /// The run's audit record (`bodies-purged`): counts by rule, and who asked when an operator did. Nil for a
    /// timer's run that purged nothing (an hourly record of nothing would only bury the others).
    func auditEvent() -> AuditEvent? {
        guard counts.total > 0 || !operators.isEmpty else { return nil }
        var detail = counts.auditDetail
        let names = Set(operators).sorted()
        if !names.isEmpty { detail += " operator=\(names.joined(separator: ","))" }
        if failed { detail += " ended=store-failed" }
        return AuditEvent(at: endedAt, event: .bodiesPurged, detail: detail)
    }

    /// PURGE's reply and STATUS's `last_purge`.
    var admin: AdminPurge {
        AdminPurge(
            at: endedAt, closedCase: Int64(counts.closedCase), caseless: Int64(counts.caseless),
            deadLetters: Int64(counts.deadLetters), durationMs: endedAt - startedAt)
    }
}
