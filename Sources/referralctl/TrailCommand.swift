import ArgumentParser
import ReferralProtocol

struct TrailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trail",
        abstract: "Show what happened to one message or to every message of a case (ADMIN-1 TRAIL).",
        discussion: """
            One line per event, oldest first: when (UTC), what happened
            (accepted, duplicate-send, delivery-attempt, acked, nacked,
            redelivery-scheduled, dead-lettered, held, receipt-created,
            receipt-confirmed), the message (seq, sender/id), the recipient
            and attempt for events of one delivery, and a short detail.
            Bodies are never shown.

            Examples:
              referralctl trail --message test-a/test-a:000001
              referralctl trail --case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b
              referralctl trail --case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b --json

            A message the broker REJECTED is not stored, so its trail is
            NOT_FOUND: `referralctl outbox --config SENDER.json --rejected`
            shows it with the broker's code and reason.

            Exit codes: 0 ok, 1 usage error or the broker answered ERROR
            (e.g. NOT_FOUND), 2 no answer within 5 s, 6 a reply that is not
            ADMIN-1.
            """
    )

    @Option(help: ArgumentHelp("One message: its sender node and message id.", valueName: "SENDER/ID"))
    var message: String?

    @Option(name: .customLong("case"), help: ArgumentHelp("Every message of this case.", valueName: "UUID"))
    var caseId: String?

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        switch (message, caseId) {
        case (nil, nil), (.some, .some):
            throw ValidationError("Give exactly one of --message SENDER/ID and --case UUID.")
        case (let message?, nil):
            guard let slash = message.firstIndex(of: "/"),
                Identifiers.isValidNodeId(String(message[..<slash])),
                Identifiers.isValidMessageId(String(message[message.index(after: slash)...]))
            else { throw ValidationError("--message must be SENDER/ID, e.g. test-a/test-a:000001.") }
        case (nil, let caseId?):
            guard Identifiers.normalizedCaseId(caseId) != nil else {
                throw ValidationError("--case must be a UUID, e.g. 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b.")
            }
        }
    }

    func run() async throws {
        let subject: AdminRequest.TrailSubject
        if let message, let slash = message.firstIndex(of: "/") {
            subject = .message(sender: String(message[..<slash]), id: String(message[message.index(after: slash)...]))
        } else {
            subject = .caseId(Identifiers.normalizedCaseId(caseId ?? "") ?? "")
        }
        switch try await admin.request(.trail(subject)) {
        case .ok(.trail(let trail)):
            if admin.json { return }
            for line in Self.render(trail.events, truncated: trail.truncated) { Output.line(line) }
        case .ok:
            throw AdminOptions.unexpectedResult(of: .trail(subject))
        case .error(let error):
            if admin.json { throw Exit.usage }
            AdminOptions.report(error)
            if message != nil, error.code == .notFound {
                // The broker stores only what it accepted; a refused message is in its sender's outbox.
                Output.error(
                    "referralctl: a message the broker REJECTED is not stored there; its sender's outbox has it: "
                        + "referralctl outbox --config SENDER.json --rejected")
            }
            throw Exit.usage
        }
    }

    static func render(_ events: [AdminTrailEvent], truncated: Bool = false) -> [String] {
        guard !events.isEmpty else { return ["no events"] }
        var rows: [[String]] = []
        for event in events {
            var delivery = ""
            if let recipient = event.recipient { delivery = "-> \(recipient)" }
            if let attempt = event.attempt { delivery += " attempt \(attempt)" }
            rows.append([
                Output.time(event.at), event.event, "seq \(event.seq)", "\(event.sender)/\(event.messageId)",
                delivery.trimmingPrefix(" "), event.detail ?? "",
            ])
        }
        var lines = Output.table(rows).map { $0.trimmingTrailingSpaces() }
        if truncated {
            lines.append("(truncated: the broker returned only the first \(events.count) events)")
        }
        return lines
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }

    func trimmingPrefix(_ prefix: Character) -> String {
        var text = Substring(self)
        while text.first == prefix { text.removeFirst() }
        return String(text)
    }
}
