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
            within 5 s, 6 a reply that is not ADMIN-1.
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
        guard case .caseInfo(let info) = try await admin.ask(.caseInfo(caseId: id)) else {
            throw AdminOptions.unexpectedResult(of: .caseInfo(caseId: id))
        }
        if admin.json { return }
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        for line in Self.render(info, now: now) { Output.line(line) }
    }

    static func render(_ info: AdminCase, now: Int64) -> [String] {
        [statusLine(info)] + deadlineLines(info, now: now) + ["timeline:"] + TrailCommand.render(info.events)
    }

    static func statusLine(_ info: AdminCase) -> String {
        // No status: no referral.request opened the case; the broker still tracks its messages and deadlines
        // (a discharge's follow-up plan, a crisis alert), listed below.
        guard let tracking = info.tracking else {
            let kinds = messageKinds(info.events)
            let what = kinds.isEmpty ? "known from its deadlines" : "a case of \(kinds.joined(separator: ", "))"
            return "case \(info.caseId): \(what), tracked without a referral status (only a referral.request gives one)"
        }
        var line = "case \(info.caseId): \(tracking.status)"
        line += ", referrer \(tracking.referrer ?? "?")"
        line += ", service \(tracking.service ?? "?")"
        line += ", attempt \(tracking.attempt)"
        if let opened = tracking.openedAt { line += ", opened \(Output.time(opened))" }
        if let updated = tracking.updatedAt { line += ", updated \(Output.time(updated))" }
        return line
    }

    /// The kinds of the case's messages, in order of first appearance (from the `accepted` events' details).
    static func messageKinds(_ events: [AdminTrailEvent]) -> [String] {
        var kinds: [String] = []
        for event in events where event.event == TrailEventName.accepted.rawValue {
            let words = (event.detail ?? "").split(separator: " ")
            if let kind = words.first(where: { $0.hasPrefix("kind=") })?.dropFirst(5), !kinds.contains(String(kind)) {
                kinds.append(String(kind))
            }
        }
        return kinds
    }

    /// "open deadlines: N", then one indented row per deadline (as columns).
    static func deadlineLines(_ info: AdminCase, now: Int64) -> [String] {
        guard !info.deadlines.isEmpty else { return ["open deadlines: none"] }
        var header = "open deadlines: \(info.deadlines.count)"
        if info.deadlinesTruncated { header += " (more not shown)" }
        let rows = info.deadlines.map { deadline -> [String] in
            [
                "  due \(Output.time(deadline.dueAt))", "level \(deadline.level)", awaitedText(deadline),
                deadline.risk ?? "", deadline.dueAt <= now || deadline.level > 0 ? "OVERDUE" : "",
            ]
        }
        return [header] + Output.table(rows).map { $0.trimmingSuffix() }
    }

    /// What is awaited and from whom, in words; the raw item when the broker could not say.
    static func awaitedText(_ deadline: AdminCase.Deadline) -> String {
        switch deadline.awaiting {
        case .delivery(_, let party): return "delivery to \(party)"
        case .answer(let kinds, let party):
            // A crisis alert's party answers by acknowledging it.
            return kinds == ["crisis.acknowledged"] ? "acknowledgment from \(party)" : "answer from \(party)"
        case .followUpVisit(let number, let party): return "follow-up visit \(number) by \(party)"
        case nil: return deadline.item
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
