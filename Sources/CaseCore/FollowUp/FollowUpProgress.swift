/// How far a discharge's follow-up plan has come: which visits are met and whether the plan
/// is closed. Small enough for one row beside the case.
///
/// Rule: each `followup.visit` meets the earliest visit still open, whether it comes early or
/// late. Why: a visit record says "a visit happened", and the oldest promise is the one that
/// matters; a late visit stops that visit's escalation. So the open visits are always the last
/// ones of the plan, and two counters describe the whole state. `followup.closed` ends the plan:
/// every visit still open is settled, and later visits meet nothing.
public struct FollowUpProgress: Sendable, Hashable {
    /// How many visits the plan has.
    public let planned: Int
    /// How many are met (visits 1…met).
    public private(set) var met: Int
    public private(set) var closed: Bool

    /// A plan of `planned` visits as the store holds it (a new one: `met` 0, not closed).
    public init(planned: Int, met: Int = 0, closed: Bool = false) {
        self.planned = max(planned, 0)
        self.met = min(max(met, 0), self.planned)
        self.closed = closed
    }

    /// The visit numbers still awaited (empty when all are met or the plan is closed).
    public var openVisits: ClosedRange<Int>? {
        closed || met >= planned ? nil : (met + 1)...planned
    }

    /// Records a `followup.visit`: returns the number of the visit it meets (the earliest open
    /// one), whose deadline the shell now settles; nil when none is open (extra visits are
    /// welcome and change nothing).
    public mutating func recordVisit() -> Int? {
        guard let open = openVisits else { return nil }
        met += 1
        return open.lowerBound
    }

    /// Records `followup.closed`: returns the visit numbers that were still open, whose
    /// deadlines the shell settles. Closing twice returns nothing the second time.
    public mutating func close() -> [Int] {
        let open = openVisits.map(Array.init) ?? []
        closed = true
        return open
    }
}
