import ArgumentParser
import ReferralProtocol

struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Show where a referral case stands and its timeline (ADMIN-1 CASE).",
        discussion: """
            First a status line: the case's status (FHIR Task status), the
            referrer, the service of the current attempt, the attempt number,
            when it was opened and last moved (UTC). Then the timeline: every
            event of every message of the case, oldest first, as `trail --case`
            prints it. Bodies are never shown.

            Examples:
              referralctl case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b
              referralctl case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b --json

            Exit codes: 0 ok, 1 usage error or the broker answered ERROR
            (e.g. NOT_FOUND), 2 no answer within 5 s.
            """
    )

    @Argument(help: ArgumentHelp("The case id.", valueName: "UUID"))
    var caseId: String

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard Identifiers.normalizedCaseId(caseId) != nil else {
            throw ValidationError("the case id must be a UUID, e.g. 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b.")
        }
    }

    func run() async throws {
        let id = Identifiers.normalizedCaseId(caseId) ?? caseId
        let reply = try await admin.ask("CASE", .object([("case", .string(id))]))
        if admin.json { return }
        for line in Self.render(reply) { Output.line(line) }
    }

    static func render(_ reply: JSONValue) -> [String] {
        var status = "case \(reply["case"]?.stringValue ?? "?"): \(reply["status"]?.stringValue ?? "?")"
        status += ", referrer \(reply["referrer"]?.stringValue ?? "?")"
        status += ", service \(reply["service"]?.stringValue ?? "?")"
        status += ", attempt \(reply["attempt"]?.integerValue.map(String.init) ?? "?")"
        if let opened = reply["opened_at"]?.integerValue { status += ", opened \(Output.time(opened))" }
        if let updated = reply["updated_at"]?.integerValue { status += ", updated \(Output.time(updated))" }
        return [status] + TrailCommand.render(reply)
    }
}
