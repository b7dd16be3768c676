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
            filed under. Filters combine; a region code matches itself and
            everything under it ("3501" = Fuzhou).

            Examples:
              referralctl overdue
              referralctl overdue --region 350102 --agency health --risk urgent --json

            Exit codes: 0 ok, 1 usage error or the broker answered ERROR,
            2 no answer within 5 s.
            """
    )

    @Option(help: ArgumentHelp("Division code prefix (e.g. 3501).", valueName: "CODE"))
    var region: String?

    @Option(help: ArgumentHelp("Agency responsible (e.g. health, education, civil-affairs).", valueName: "A"))
    var agency: String?

    @Option(help: ArgumentHelp("Risk level (crisis, urgent, routine, follow-up).", valueName: "R"))
    var risk: String?

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        var members: [(String, JSONValue)] = []
        if let region { members.append(("region", .string(region))) }
        if let agency { members.append(("agency", .string(agency))) }
        if let risk { members.append(("risk", .string(risk))) }
        let reply = try await admin.ask("OVERDUE", .object(members))
        if admin.json { return }
        for line in Self.render(reply) { Output.line(line) }
    }

    static func render(_ reply: JSONValue) -> [String] {
        let items = reply["overdue"]?.arrayValue ?? []
        if items.isEmpty { return ["nothing overdue"] }
        return items.map { item in
            var line = "#\(item["id"]?.integerValue.map(String.init) ?? "?")"
            if let due = item["due_at"]?.integerValue { line += " due \(Output.time(due))" }
            line += " level \(item["level"]?.integerValue.map(String.init) ?? "?")"
            line += " case \(item["case"]?.stringValue ?? "-")"
            line += " \(item["item"]?.stringValue ?? "?")"
            line += " region \(item["region"]?.stringValue ?? "-")"
            line += " agency \(item["agency"]?.stringValue ?? "-")"
            line += " risk \(item["risk"]?.stringValue ?? "-")"
            return line
        }
    }
}
