/// How a policy's durations are counted.
///
/// The brief: "Non-crisis clocks count working days; crisis clocks never pause."
public enum ClockKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Wall-clock time, day and night, weekends and holidays included (crisis).
    case continuous
    /// Only time on working days counts (`WorkingCalendar.add(workingTime:to:)`): "3d" is
    /// three working days, "24h" one working day.
    case workingDays = "working-days"

    public var description: String { rawValue }

    /// The instant `ms` after `instant` on this clock.
    public func add(_ ms: Int64, to instant: Int64, calendar: WorkingCalendar) -> Int64 {
        switch self {
        case .continuous: instant + max(ms, 0)
        case .workingDays: calendar.add(workingTime: ms, to: instant)
        }
    }
}
