import ArgumentParser
import Foundation
import ReferralProtocol
import StoreModel

struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Show where a case stands: status, open deadlines and timeline (ADMIN-1 CASE).",
        discussion: """
            First a status line: for a referral case (one a referral.request
            opened) its status (FHIR Task status), the referrer, the service
            of the current attempt, the attempt number, when it was opened and
            last moved (UTC); for a case no referral.request opened (a
            discharge's follow-up plan, a crisis alert) the kinds of its
            messages: such a case has no referral status, but its deadlines
            and timeline are tracked all the same.

            Then the open deadlines, earliest first: due time (UTC), the
            escalation level (0: the first deadline; n: n escalation steps
            already taken), what is awaited and from whom (e.g. "answer from
            test-b", "acknowledgment from test-b" for a crisis alert,
            "delivery to test-b", "follow-up visit 2 by test-x"), the risk
            level, and OVERDUE when the item is late: its due time has passed,
            or it has already escalated (level 1 or more; the due time is then
            that of the next step), as `referralctl overdue` counts it.

            Then, after "timeline:", every event of every message of the case,
            oldest first, as `trail --case` prints it. Bodies are never
            shown. --json prints the broker's reply as it is.

            Examples:
              referralctl case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b
              referralctl case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b --json

            Exit codes: 0 ok, 1 usage error or the broker answered ERROR
            (e.g. NOT_FOUND: nothing at all under that case id), 2 no answer
            within 5 s.
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
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        for line in Self.render(reply, now: now) { Output.line(line) }
    }

    static func render(_ reply: JSONValue, now: Int64) -> [String] {
        [statusLine(reply)] + deadlineLines(reply, now: now) + ["timeline:"] + TrailCommand.render(reply)
    }

    static func statusLine(_ reply: JSONValue) -> String {
        let caseId = reply["case"]?.stringValue ?? "?"
        // No status: no referral.request opened the case; the broker still tracks its messages and deadlines
        // (a discharge's follow-up plan, a crisis alert), listed below.
        guard let status = reply["status"]?.stringValue else {
            let kinds = messageKinds(reply)
            let what = kinds.isEmpty ? "known from its deadlines" : "a case of \(kinds.joined(separator: ", "))"
            return "case \(caseId): \(what), tracked without a referral status (only a referral.request gives one)"
        }
        var line = "case \(caseId): \(status)"
        line += ", referrer \(reply["referrer"]?.stringValue ?? "?")"
        line += ", service \(reply["service"]?.stringValue ?? "?")"
        line += ", attempt \(reply["attempt"]?.integerValue.map(String.init) ?? "?")"
        if let opened = reply["opened_at"]?.integerValue { line += ", opened \(Output.time(opened))" }
        if let updated = reply["updated_at"]?.integerValue { line += ", updated \(Output.time(updated))" }
        return line
    }

    /// The kinds of the case's messages, in order of first appearance (from the `accepted` events' details).
    static func messageKinds(_ reply: JSONValue) -> [String] {
        var kinds: [String] = []
        for event in reply["events"]?.arrayValue ?? [] where event["event"]?.stringValue == TrailEventName.accepted.rawValue {
            let words = (event["detail"]?.stringValue ?? "").split(separator: " ")
            if let kind = words.first(where: { $0.hasPrefix("kind=") })?.dropFirst(5), !kinds.contains(String(kind)) {
                kinds.append(String(kind))
            }
        }
        return kinds
    }

    /// "open deadlines: N", then one indented row per deadline (as columns).
    static func deadlineLines(_ reply: JSONValue, now: Int64) -> [String] {
        let deadlines = reply["deadlines"]?.arrayValue ?? []
        guard !deadlines.isEmpty else { return ["open deadlines: none"] }
        var header = "open deadlines: \(deadlines.count)"
        if reply["deadlines_truncated"]?.boolValue == true { header += " (more not shown)" }
        let rows = deadlines.map { deadline -> [String] in
            let due = deadline["due_at"]?.integerValue
            return [
                "  due \(due.map(Output.time) ?? "?")",
                "level \(deadline["level"]?.integerValue.map(String.init) ?? "?")",
                awaitedText(deadline),
                deadline["risk"]?.stringValue ?? "",
                due.map { $0 <= now } == true || (deadline["level"]?.integerValue ?? 0) > 0 ? "OVERDUE" : "",
            ]
        }
        return [header] + Output.table(rows).map { $0.trimmingSuffix() }
    }

    /// What is awaited and from whom, in words; the raw item when the broker could not say.
    static func awaitedText(_ deadline: JSONValue) -> String {
        let party = deadline["party"]?.stringValue ?? "?"
        switch deadline["awaiting"]?.stringValue {
        case "delivery": return "delivery to \(party)"
        case "answer":
            // A crisis alert's party answers by acknowledging it.
            let kinds = deadline["kinds"]?.arrayValue?.compactMap(\.stringValue)
            return kinds == ["crisis.acknowledged"] ? "acknowledgment from \(party)" : "answer from \(party)"
        case "followup-visit":
            let number = deadline["visit_number"]?.integerValue.map(String.init) ?? "?"
            return "follow-up visit \(number) by \(party)"
        default: return deadline["item"]?.stringValue ?? "?"
        }
    }
}

extension String {
    /// Without trailing spaces (a row whose last columns are empty).
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
