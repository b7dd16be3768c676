import ArgumentParser
import ReferralProtocol

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the broker's counters and what is open (ADMIN-1 STATS; the numbers behind /metrics).",
        discussion: """
            Prints the counters since the broker started (messages accepted,
            delivered, acknowledged, dead-lettered by kind and agency;
            rejections by code; escalations by risk; authentication failures
            by reason), open cases by status, and open and overdue deadlines
            by county and risk. No case or message id is shown.

            Examples:
              referralctl stats
              referralctl stats --admin ipc:///run/referrald/admin.sock --json

            Exit codes: 0 ok, 1 the broker answered ERROR, 2 no answer in 5 s,
            6 a reply that is not ADMIN-1.
            """
    )

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        guard case .stats(let stats) = try await admin.ask(.stats) else {
            throw AdminOptions.unexpectedResult(of: .stats)
        }
        if admin.json { return }
        for line in Self.render(stats) { Output.line(line) }
    }

    static func render(_ stats: AdminStats) -> [String] {
        var lines: [String] = []
        let counters = stats.counters
        for (name, counts) in [
            ("accepted", counters.accepted), ("delivered", counters.delivered),
            ("acknowledged", counters.acknowledged), ("dead-lettered", counters.deadLettered),
        ] {
            lines.append("\(name): \(counts.reduce(0) { $0 + $1.count })")
            lines += counts.map { "  \($0.kind) \($0.agency): \($0.count)" }
        }
        for (name, counts) in [
            ("rejected", counters.rejected), ("escalations sent", counters.escalationsSent),
            ("authentication failures", counters.authFailures), ("open cases", stats.casesOpen),
        ] {
            lines.append("\(name): \(counts.reduce(0) { $0 + $1.count })")
            lines += counts.map { "  \($0.label): \($0.count)" }
        }
        let open = stats.deadlines.reduce(0) { $0 + $1.open }
        let overdue = stats.deadlines.reduce(0) { $0 + $1.overdue }
        lines.append("open deadlines: \(open), overdue: \(overdue)")
        lines += stats.deadlines.map { "  \($0.county) \($0.risk): \($0.open) open, \($0.overdue) overdue" }
        if let audit = stats.audit {
            lines.append("last audit verify: \(audit.intact ? "intact" : "BROKEN") at \(Output.time(audit.at))")
        } else {
            lines.append("last audit verify: none since the broker started")
        }
        return lines
    }
}
