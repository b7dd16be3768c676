import ArgumentParser
import ReferralProtocol

struct OverdueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue",
        abstract: "List what is late now: open deadlines past due (ADMIN-1 OVERDUE).",
        discussion: """
            One line per open deadline whose due time has passed, oldest first
            (at most 1000): its id, due time (UTC), escalation level reached,
            case, the awaited item, and the region, agency and risk level it is
            filed under, and when it last escalated. Filters combine; a region
            code matches itself and everything under it ("3501" = Fuzhou).
            --escalated lists only the items that escalated, the latest
            escalation first.

            Examples:
              referralctl overdue
              referralctl overdue --region 350102 --agency health --risk urgent --json
              referralctl overdue --escalated --risk crisis

            Exit codes: 0 ok, 1 usage error or the broker answered ERROR,
            2 no answer within 5 s, 6 a reply that is not ADMIN-1.
            """
    )

    @Option(help: ArgumentHelp("Division code prefix (e.g. 3501).", valueName: "CODE"))
    var region: String?

    @Option(help: ArgumentHelp("Agency responsible (e.g. health, education, civil-affairs).", valueName: "A"))
    var agency: String?

    @Option(help: ArgumentHelp("Risk level (crisis, urgent, routine, follow-up).", valueName: "R"))
    var risk: String?

    @Flag(help: "Only the items that escalated, the latest escalation first.")
    var escalated = false

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let filter = AdminRequest.OverdueFilter(region: region, agency: agency, risk: risk, escalated: escalated)
        guard case .overdue(let items) = try await admin.ask(.overdue(filter)) else {
            throw AdminOptions.unexpectedResult(of: .overdue(filter))
        }
        if admin.json { return }
        for line in Self.render(items) { Output.line(line) }
    }

    static func render(_ items: [AdminOverdueItem]) -> [String] {
        if items.isEmpty { return ["nothing overdue"] }
        return items.map { item in
            var line = "#\(item.id)"
            line += " due \(Output.time(item.dueAt))"
            line += " level \(item.level)"
            line += " case \(item.caseId ?? "-")"
            line += " \(item.item)"
            line += " region \(item.region ?? "-")"
            line += " agency \(item.agency ?? "-")"
            line += " risk \(item.risk ?? "-")"
            if let escalatedAt = item.escalatedAt { line += " escalated \(Output.time(escalatedAt))" }
            return line
        }
    }
}
