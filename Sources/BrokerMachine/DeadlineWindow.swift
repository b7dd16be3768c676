import StoreModel

/// The machine's view of the durable timers: only the next window of open deadlines, never all of
/// them. Refilled from the store (`dueDeadlines(before: now + horizon, limit:)`) when it has run out, when
/// its horizon has passed, or when a deadline due inside it was set since it was read.
struct DeadlineWindow {
    static let horizonMs: Int64 = 60_000
    static let limit = 1_000

    /// Due deadlines, latest first (the next one to fire is `last`).
    var pending: [DeadlineRecord] = []
    /// Every open deadline due before this is in `pending` (or already handed to the store to fire).
    var end: Int64 = Int64.min
    var requested = false
    var stale = true

    /// When the machine must be woken for the window: the next due time, or its end to refill it.
    var nextWakeup: Int64? {
        if requested { return nil }
        if let next = pending.last { return min(next.dueAt, end) }
        return end == Int64.min ? nil : end
    }

    /// Whether the window must be read again now.
    func needsRefill(now: Int64) -> Bool {
        !requested && (stale || now >= end)
    }

    /// A deadline due at `due` was set (or a step stored): the window must be read again if it falls inside.
    mutating func noteSet(due: Int64) {
        if due < end { stale = true }
    }

    mutating func filled(_ records: [DeadlineRecord], before: Int64, limit: Int) {
        requested = false
        pending = records.reversed()
        // A full window holds every deadline before its last due time, but maybe not all of those due then.
        end = records.count < limit ? before : (records.last?.dueAt ?? before)
    }

    /// Takes the next deadline due at `now`, if any.
    mutating func takeDue(now: Int64) -> DeadlineRecord? {
        guard let next = pending.last, next.dueAt <= now else { return nil }
        return pending.removeLast()
    }
}
