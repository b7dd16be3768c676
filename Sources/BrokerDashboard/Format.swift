import ReferralProtocol

/// Times as a supervisor reads them: UTC date and time, and how long ago or ahead of the page's `now`.
enum Format {
    static func utc(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (year, month, day) = CivilDate.date(days: days)
        let rest = seconds - days * 86_400
        return "\(year)-\(two(month))-\(two(day)) \(two(Int(rest / 3600))):\(two(Int(rest % 3600 / 60)))"
            + ":\(two(Int(rest % 60)))Z"
    }

    /// "3h 5m ago", "in 20m", "now".
    static func relative(_ ms: Int64, now: Int64) -> String {
        let delta = now - ms
        let span = duration(abs(delta))
        if span.isEmpty { return "now" }
        return delta >= 0 ? "\(span) ago" : "in \(span)"
    }

    /// "2d 3h", "5h 10m", "4m", "" below a minute.
    static func duration(_ ms: Int64) -> String {
        let minutes = ms / 60_000
        let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60)
        if days > 0 { return hours > 0 ? "\(days)d \(hours)h" : "\(days)d" }
        if hours > 0 { return mins > 0 ? "\(hours)h \(mins)m" : "\(hours)h" }
        return mins > 0 ? "\(mins)m" : ""
    }

    /// A time cell: UTC, with the relative time beside it.
    static func time(_ ms: Int64, now: Int64) -> String {
        "\(HTML.escape(utc(ms))) <span class=\"muted\">(\(HTML.escape(relative(ms, now: now))))</span>"
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// The risk levels in the order a supervisor cares about them.
enum Risk {
    static let levels = ["crisis", "urgent", "routine", "follow-up"]
    static let colours = ["crisis": "#b00020", "urgent": "#e07b00", "routine": "#3a6ea5", "follow-up": "#7d8794"]

    static func rank(_ risk: String) -> Int { levels.firstIndex(of: risk) ?? levels.count }

    static func cell(_ risk: String?) -> String {
        guard let risk else { return "<span class=\"muted\">-</span>" }
        let escaped = HTML.escape(risk)
        return levels.contains(risk) ? "<span class=\"\(escaped)\">\(escaped)</span>" : escaped
    }
}
