import CaseCore

/// Times in these tests are CST wall-clock times written out, so a reader can check them on
/// a calendar.
func cst(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
    ChinaTime.instant(year: year, month: month, day: day, hour: hour, minute: minute)!
}

let minute = ChinaTime.minuteMs
let hour = ChinaTime.hourMs
let day = ChinaTime.dayMs

/// China's 2025 National Day and Mid-Autumn break as the State Council announced it: 1-8
/// October off, Sunday 28 September and Saturday 11 October worked instead.
func nationalDay2025() throws -> WorkingCalendar {
    try WorkingCalendar(
        holidays: (1...8).map { "2025-10-0\($0)" },
        workdays: ["2025-09-28", "2025-10-11"])
}

/// What the daemon will do with CaseCore's timers, in memory: the open deadline rows, the items
/// already settled, and a loop that fires what is due, oldest first, until nothing is. Each
/// firing asks the planner with the item's open state, as the store would answer it.
struct TimerTable {
    var planner: EscalationPlanner
    /// Open deadlines by id (the store's primary key: storing a deadline twice keeps one).
    private(set) var rows: [String: Deadline] = [:]
    private(set) var settled: Set<String> = []
    /// Every notice sent, in order.
    private(set) var sent: [EscalationNotice] = []
    /// Which chains the shell resolves for a late party.
    var chains: (Deadline) -> [EscalationChain]

    init(calendar: WorkingCalendar = WorkingCalendar(), chains: @escaping (Deadline) -> [EscalationChain]) {
        planner = EscalationPlanner(calendar: calendar)
        self.chains = chains
    }

    mutating func arm(_ deadlines: [Deadline]) {
        for deadline in deadlines { rows[deadline.id] = deadline }
    }

    /// The awaited item arrived: it is no longer open.
    mutating func settle(_ itemId: String) { settled.insert(itemId) }

    mutating func settle(where matches: (Awaited) -> Bool) {
        for row in rows.values where matches(row.awaited) { settle(row.itemId) }
    }

    /// Fires everything due by `now`; returns the notices sent by this call.
    @discardableResult
    mutating func advance(to now: Int64) -> [EscalationNotice] {
        var notices: [EscalationNotice] = []
        while let row = rows.values.filter({ $0.due <= now }).min(by: { ($0.due, $0.id) < ($1.due, $1.id) }) {
            rows[row.id] = nil
            let firing = planner.fire(row, stillOpen: !settled.contains(row.itemId), chains: chains(row), now: now)
            switch firing {
            case .escalate(let notice, let next):
                notices.append(notice)
                rows[next.id] = next
            case .noOneToNotify(let next):
                rows[next.id] = next
            case .notDue, .answered:
                break
            }
        }
        sent += notices
        return notices
    }

    /// The open deadlines of items still waiting, soonest first.
    var pending: [Deadline] {
        rows.values.filter { !settled.contains($0.itemId) }.sorted { ($0.due, $0.id) < ($1.due, $1.id) }
    }
}
