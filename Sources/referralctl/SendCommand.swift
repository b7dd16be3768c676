import ArgumentParser
import Foundation
import ReferralClient
import ReferralProtocol

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one message as the node of --config.",
        discussion: """
            The message is first committed to the node's outbox, then handed
            to the broker. By default the command waits until the broker has
            it on disk (ACCEPTED) and prints its sequence number (seq).

            If the broker does not answer within --timeout, or answers only
            with a refusal for now (e.g. STORE_FAILED: its disk is full), the
            message stays in the outbox and is sent the next time this node
            runs, with the same id, so it is never stored twice; the broker's
            last answer is printed. A refusal for good (REJECTED) is final:
            see `referralctl outbox --rejected`. Sending again with the same
            --id and content is safe: the original seq is printed
            ("duplicate": true). The same --id with other content fails.

            --to takes a node id (test-b), node:ID, or a role address
            role:AGENCY/KIND@DIVISION that the broker resolves to the nearest
            such node: role:health/child-psychology-clinic@350102001.

            A body of a business kind (protocols/business/: referral.*,
            discharge.notice, followup.*, crisis.*) is checked against its
            schema before it is queued, with the case and priority it needs;
            --skip-body-validation sends it unchecked.

            Examples:
              referralctl send --config test-a.json --to test-b \\
                  --kind referral.request --body referral.json
              echo '{}' | referralctl send --config test-a.json \\
                  --to test-b --to test-c --kind discharge.notice \\
                  --case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b \\
                  --priority crisis --body - --id test-a:000001 --json
            prints {"id":"test-a:000001","outcome":"accepted","seq":1042,
            "duplicate":false}.

            A discharge notice's follow-up plan (1/RBP 7.3.2) goes in
            --followup as JSON: the broker then expects each visit and
            escalates a missed one up the chain of the node that owes it:
              referralctl send --config hospital.json --to test-a \\
                  --to gl-director-1 --kind discharge.notice \\
                  --case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b --body notice.json \\
                  --followup '{"steps":[{"within_days":7},{"within_days":30}],
                    "visits_by":["gl-director-1"],"owner":"gl-supervisor-1"}'

            Exit codes: 0 accepted (or queued, with --no-wait), 1 usage or
            configuration error (or a body that fails its schema), 3 rejected
            (code and reason on stderr), 4 not accepted within --timeout.
            """
    )

    @OptionGroup var node: NodeOptions

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp(
            "A recipient: a node id, node:ID or role:AGENCY/KIND@DIVISION (repeat for several).", valueName: "ADDRESS"))
    var recipients: [String] = []

    @Option(help: ArgumentHelp("The message kind, e.g. referral.request.", valueName: "KIND"))
    var kind: String

    @Option(name: .customLong("case"), help: ArgumentHelp("The case id (a UUID).", valueName: "UUID"))
    var caseId: String?

    @Option(help: "The risk level.")
    var priority: PriorityArgument = .routine

    @Option(help: ArgumentHelp("File holding the body; '-' reads standard input.", valueName: "FILE"))
    var body: String

    @Option(help: ArgumentHelp("The message id (default: a new UUID).", valueName: "MSGID"))
    var id: String?

    @Option(
        help: ArgumentHelp(
            "A discharge.notice's follow-up plan, JSON: {\"steps\":[...],\"visits_by\":[...],\"owner\":...}.",
            valueName: "JSON"))
    var followup: String?

    @Flag(
        name: .customLong("no-wait"),
        help: """
            Only commit the message to the outbox and print its id, without \
            connecting; it goes to the broker the next time this node runs \
            (any send or listen with this --config).
            """)
    var noWait = false

    @Option(help: ArgumentHelp("How long to wait for the broker's answer.", valueName: "SECONDS"))
    var timeout: Double = 30

    @Flag(help: "Send a body of a business kind without checking it against its schema (protocols/business/).")
    var skipBodyValidation = false

    @Flag(help: "Print the outcome as one JSON object.")
    var json = false

    func validate() throws {
        guard !recipients.isEmpty else { throw ValidationError("Give at least one recipient with --to.") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number.") }
        _ = try followUpPlan()
    }

    /// `--followup` read with the wire's own rules (1/RBP §7.3.2).
    private func followUpPlan() throws -> FollowUpHeader? {
        guard let followup else { return nil }
        let value: JSONValue
        do {
            value = try JSONReader.parse(Array(followup.utf8), maxDepth: 3)
        } catch {
            throw ValidationError("--followup must be a JSON object: \(error)")
        }
        do {
            return try FollowUpHeader(value)
        } catch {
            throw ValidationError("--followup: \(error.reason)")
        }
    }

    func run() async throws {
        let bytes = try readBody()
        let node = try node.openNode()
        var message = OutgoingMessage(
            to: recipients, kind: kind, caseId: caseId, priority: priority.priority, body: bytes,
            followUp: try followUpPlan())
        if let id { message.id = id }
        message.validatesBody = !skipBodyValidation
        // A resend of an id this outbox has seen accepted is answered from the outbox: "duplicate", as the broker
        // would answer it.
        let resent = (try? node.outboxEntry(id: message.id))??.state == .accepted
        let messageId: String
        do {
            messageId = try await node.send(message)
        } catch {
            await node.shutdown()
            Output.error("referralctl: \(error)")
            throw Exit.usage
        }
        if noWait {
            await node.shutdown()
            report(messageId, outcome: nil)
            return
        }
        node.start()
        let outcome: SendOutcome
        do {
            outcome = try await node.outcome(of: messageId, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            let problem = node.connectionProblem
            let pending = try? node.outboxEntry(id: messageId)
            await node.shutdown()
            reportNotAccepted(messageId, problem: problem, lastAnswer: pending)
            throw Exit.timedOut
        }
        let entry = try? node.outboxEntry(id: messageId)
        await node.shutdown()
        report(messageId, outcome: outcome.markingResend(resent), entry: entry)
        if case .rejected = outcome { throw Exit.rejected }
    }

    /// Not accepted within --timeout: what the broker said last (a refusal for now, such as STORE_FAILED), else
    /// that it did not answer; the message stays queued either way.
    private func reportNotAccepted(_ id: String, problem: String?, lastAnswer entry: OutboxEntry?) {
        var text: String
        if let entry, let code = entry.code {
            text = "referralctl: not accepted within \(Self.format(timeout)) s: the broker answered \(code)"
            if let reason = entry.reason { text += ": \(reason)" }
            text += " (refused for now; resent automatically)"
        } else {
            text = "referralctl: no answer from the broker within \(Self.format(timeout)) s"
            if let problem { text += " (\(problem))" }
        }
        Output.error(text + "; message \(id) stays in the outbox and will be sent next time")
        if json {
            var members: [(key: String, value: JSONValue)] = [("id", .string(id)), ("outcome", .string("timeout"))]
            if let code = entry?.code { members.append(("code", .string(code))) }
            if let reason = entry?.reason { members.append(("reason", .string(reason))) }
            Output.json(members)
        }
    }

    private func readBody() throws -> [UInt8] {
        do {
            if body == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: body)))
        } catch {
            Output.error("referralctl: cannot read the body file \(body)")
            throw Exit.usage
        }
    }

    private func report(_ id: String, outcome: SendOutcome?, entry: OutboxEntry? = nil) {
        switch outcome {
        case nil:
            if json {
                Output.json([("id", .string(id)), ("outcome", .string("queued"))])
            } else {
                Output.line(id)
            }
        case .accepted(let seq, let duplicate)?:
            if json {
                Output.json([
                    ("id", .string(id)), ("outcome", .string("accepted")), ("seq", .integer(seq)),
                    ("duplicate", .bool(duplicate)),
                ])
            } else {
                Output.line("accepted: seq \(seq)" + (duplicate ? " (already accepted before; stored once)" : ""))
            }
        case .rejected(let code, _, let reason)?:
            var detail = ""
            if let field = entry?.field { detail += " (field \(field))" }
            if let recipient = entry?.recipient { detail += " (recipient \(recipient))" }
            Output.error("referralctl: rejected: \(code): \(reason)\(detail)")
            if json {
                var members: [(key: String, value: JSONValue)] = [
                    ("id", .string(id)), ("outcome", .string("rejected")), ("code", .string(code)),
                    ("reason", .string(reason)),
                ]
                if let field = entry?.field { members.append(("field", .string(field))) }
                if let recipient = entry?.recipient { members.append(("recipient", .string(recipient))) }
                Output.json(members)
            }
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

extension SendOutcome {
    /// A resend of an id the broker had accepted is a duplicate, as the broker answers it.
    func markingResend(_ resent: Bool) -> SendOutcome {
        guard resent, case .accepted(let seq, _) = self else { return self }
        return .accepted(seq: seq, duplicate: true)
    }
}

/// `--priority` values.
enum PriorityArgument: String, ExpressibleByArgument, CaseIterable {
    case routine, urgent, crisis

    var priority: Priority {
        switch self {
        case .routine: .routine
        case .urgent: .urgent
        case .crisis: .crisis
        }
    }
}
