/// Decides what a deadline that fell due leads to: which supervisors to notify and when to
/// look again. Pure: the shell says whether the awaited item is still open and passes the
/// escalation chains it resolved through the directory; the planner reads no state.
///
/// Rules (PagerDuty's escalation model with the additions):
///
/// - An item that is no longer open (answered, delivered, visited, case closed) escalates no
///   further: `.answered`, and the shell drops the deadline. This is what makes firing
///   idempotent across a restart: a deadline fires only if its item is still waiting.
/// - Step n (the deadline's `level` + 1) notifies level n of the party's chain, climbing no
///   higher than the policy's `maxSteps` (nil: to the top of the chain). An item still open
///   once the climb has reached its top level never drops out: every later step notifies that
///   top level again (a reminder to the highest authority reached, like PagerDuty's repeat
///   loops), one `repeatMs` apart, until the item is met or its case ends. So every step
///   returns a next deadline, and the item stays overdue for as long as it is open.
/// - With `fanOut` (crisis) step n notifies level n of every chain given, all at once; without,
///   only the first chain (the late party's own). The shell may pass all chains either way.
/// - When no chain has anyone to notify, nothing is sent, but the step is still taken and the
///   next one set: the item stays overdue, and a supervisor added to the directory later is told.
/// - The next step is due `repeatMs` after this deadline's `due` (not after `now`), on the
///   snapshot's clock. So firing is a pure function of the deadline: firing it twice gives the
///   same notice and the same next deadline. And after an outage the steps that fell due
///   while the broker was down fire at once on start, so the item reaches the level its age
///   deserves instead of starting the climb late.
/// - The values come from the deadline's `PolicySnapshot`, never from the policies in force
///   now. Only the working calendar is current: a holiday list added later applies.
public struct EscalationPlanner: Sendable {
    public var calendar: WorkingCalendar

    public init(calendar: WorkingCalendar) {
        self.calendar = calendar
    }

    /// What to do about `deadline` at `now`.
    ///
    /// - Parameters:
    ///   - stillOpen: whether the awaited item is still waiting.
    ///   - chains: the escalation chains of the late party (`deadline.awaited.party`), its own
    ///     agency's first; for crisis, every agency's chain that is to be told.
    public func fire(_ deadline: Deadline, stillOpen: Bool, chains: [EscalationChain], now: Int64) -> Firing {
        guard deadline.due <= now else { return .notDue }
        guard stillOpen else { return .answered }
        let step = deadline.level + 1
        let used = deadline.policy.fanOut ? chains : Array(chains.prefix(1))
        // The level this step reaches: the step's own until the top of the climb, then that top again.
        let top = min(deadline.policy.maxSteps ?? Int.max, used.map(\.count).max() ?? 0)
        let level = min(step, top)
        var recipients: [String] = []
        var seen: Set<String> = []
        for chain in used where !chain.isEmpty {
            for node in chain[min(level, chain.count) - 1] where seen.insert(node).inserted {
                recipients.append(node)
            }
        }
        var next = deadline
        next.level = step
        next.due = deadline.policy.clock.add(deadline.policy.repeatMs, to: deadline.due, calendar: calendar)
        guard !recipients.isEmpty else { return .noOneToNotify(next: next) }
        let notice = EscalationNotice(
            id: "esc:\(deadline.id)", caseId: deadline.caseId, kind: deadline.kind, armedBy: deadline.armedBy,
            itemId: deadline.itemId, overdue: deadline.awaited,
            level: level, originalDue: deadline.originalDue, recipients: recipients)
        return .escalate(notice, next: next)
    }
}

/// The outcome of `EscalationPlanner.fire`.
public enum Firing: Sendable, Hashable {
    /// Not due yet: nothing to do (the shell woke early or read a stale row).
    case notDue
    /// The item is no longer waiting: nothing is sent, the deadline is done.
    case answered
    /// Send `notice` and store `next` for the next step. The deadline that fired is done.
    case escalate(EscalationNotice, next: Deadline)
    /// No chain has anyone to notify: nothing is sent, and `next` is stored so that the item,
    /// still open and overdue, is looked at again (the directory may have a supervisor by then).
    case noOneToNotify(next: Deadline)
}
