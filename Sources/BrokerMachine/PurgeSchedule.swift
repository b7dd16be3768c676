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
/// fixed when it starts (every step judges by the same time), and so are the operators who asked for it: each step
/// carries them and the counts so far, so that the step that ends the walk writes the run's audit record in its own
/// transaction. A PURGE that arrives while a run goes is queued for a run of its own right after it.
public struct PurgeSchedule: Sendable {
    public let settings: RetentionSettings
    /// When the timer starts the next run (nil: not armed yet, before the first tick, or a run is going).
    public private(set) var nextRunAt: Int64?
    public private(set) var current: Run?
    /// Operators' PURGEs waiting for the next run (one run answers them all).
    public private(set) var queued: [(name: String, peer: AdminPeer)] = []
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
        /// The store wrote the run's audit record with its last step (nil: the run ended otherwise, or purged
        /// nothing unasked).
        public var audited: AuditEvent?
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
        return start(now: now, asked: [])
    }

    /// An operator's PURGE: starts a run now and returns its first step, or, while a run goes, waits for a run of
    /// its own right after it (answered when that one ends, with its counts).
    public mutating func request(operator name: String, peer: AdminPeer, now: Int64) -> PurgeStep? {
        guard current == nil else {
            queued.append((name, peer))
            return nil
        }
        return start(now: now, asked: [(name, peer)])
    }

    private mutating func start(now: Int64, asked: [(name: String, peer: AdminPeer)]) -> PurgeStep {
        let run = Run(startedAt: now, operators: asked.map(\.name), peers: asked.map(\.peer))
        current = run
        nextRunAt = nil
        return step(after: 0, run: run, now: now)
    }

    private func step(after seq: Int64, run: Run, now: Int64) -> PurgeStep {
        PurgeStep(
            now: run.startedAt, periods: settings.periods, afterSeq: seq, limit: settings.batch,
            runCounts: run.counts, operators: run.operators, issuedAt: now)
    }

    /// What comes after a step: the next step, or the run's end (and the first step of a queued run, if any).
    public enum Next: Sendable, Hashable {
        case step(PurgeStep)
        case finished(FinishedRun, next: PurgeStep?)
    }

    /// A step came back (`result` nil: it failed). `stopping`: the broker is stopping, so the run ends here.
    public mutating func stepDone(_ result: PurgeStepResult?, now: Int64, stopping: Bool) -> Next? {
        guard var run = current else { return nil }
        if let result {
            run.counts = run.counts + result.counts
            run.afterSeq = result.lastSeq
            if !result.finished && !stopping {
                current = run
                return .step(step(after: result.lastSeq, run: run, now: now))
            }
        }
        let finished = FinishedRun(
            startedAt: run.startedAt, endedAt: now, counts: run.counts, operators: run.operators, peers: run.peers,
            failed: result == nil, audited: result?.audit)
        current = nil
        last = finished
        nextRunAt = now + settings.intervalMs
        guard !queued.isEmpty, !stopping else { return .finished(finished, next: nil) }
        let asked = queued
        queued.removeAll()
        return .finished(finished, next: start(now: now, asked: asked))
    }
}

extension PurgeSchedule.FinishedRun {
    /// The run's audit record when the store did not write it with the last step (a failed step, a stop).
    func auditEvent() -> AuditEvent? {
        guard audited == nil else { return nil }
        return counts.auditEvent(at: endedAt, operators: operators, failed: failed)
    }

    /// PURGE's reply and STATUS's `last_purge`.
    var admin: AdminPurge {
        AdminPurge(
            at: endedAt, closedCase: Int64(counts.closedCase), caseless: Int64(counts.caseless),
            deadLetters: Int64(counts.deadLetters), durationMs: endedAt - startedAt)
    }
}
