import ArgumentParser
import Foundation
import ReferralClient
import ReferralProtocol

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List the messages of --config's node: queued, accepted, or rejected by the broker.",
        discussion: """
            Reads the node's own store only (it does not connect). A message
            sent with --no-wait, or whose sender stopped waiting, may be
            REJECTED later: --rejected lists those, with the broker's code,
            reason and offending field or recipient. They are never sent
            again; fix and send them with a new id. `listen --receipts`
            also prints each rejection once, as it arrives.

            Examples:
              referralctl outbox --config test-a.json --rejected
              referralctl outbox --config test-a.json --state queued --json
            prints one line per message, oldest first:
              {"id":"test-a:000001","state":"rejected","kind":"referral.request",
               "to":["nobody"],"code":"UNKNOWN_RECIPIENT","reason":"...",
               "recipient":"nobody","created_at":1767225600000,
               "answered_at":1767225600250}
            """)

    @OptionGroup var node: NodeOptions

    @Flag(help: "Only the messages the broker rejected for good (same as --state rejected).")
    var rejected = false

    @Option(help: "Only the messages in this state.")
    var state: OutboxStateArgument?

    @Option(help: ArgumentHelp("At most this many (the newest).", valueName: "N"))
    var limit = 100

    @Flag(help: "One JSON object per line.")
    var json = false

    func validate() throws {
        if rejected, let state, state != .rejected {
            throw ValidationError("--rejected and --state \(state.rawValue) contradict each other.")
        }
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1.") }
    }

    func run() async throws {
        let node = try node.openNode()
        let entries: [OutboxEntry]
        do {
            entries = try node.outbox(state: rejected ? .rejected : state?.state, limit: limit)
        } catch {
            await node.shutdown()
            Output.error("referralctl: \(error)")
            throw Exit.usage
        }
        await node.shutdown()
        if json {
            for entry in entries { Output.json(Self.members(entry)) }
            return
        }
        if entries.isEmpty {
            Output.line("no messages")
            return
        }
        var rows = [["ID", "STATE", "KIND", "TO", "ANSWER"]]
        for entry in entries {
            rows.append([
                entry.id, entry.state.rawValue, entry.kind, entry.to.joined(separator: ","), Self.answer(entry),
            ])
        }
        for line in Output.table(rows) { Output.line(line) }
    }

    /// The broker's answer in a few words: the seq, or the code and reason (with a retryable one while queued).
    static func answer(_ entry: OutboxEntry) -> String {
        switch entry.state {
        case .accepted:
            return "seq \(entry.seq ?? 0)"
        case .rejected, .queued:
            guard let code = entry.code else { return "-" }
            var text = "\(code): \(entry.reason ?? "")"
            if let field = entry.field { text += " (field \(field))" }
            if let recipient = entry.recipient { text += " (recipient \(recipient))" }
            if entry.state == .queued { text += " (refused for now; resent automatically)" }
            return text
        }
    }

    static func members(_ entry: OutboxEntry) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(entry.id)), ("state", .string(entry.state.rawValue)), ("kind", .string(entry.kind)),
            ("to", .array(entry.to.map { .string($0) })), ("case", entry.caseId.map { .string($0) } ?? .null),
            ("priority", .string(entry.priority.rawValue)),
        ]
        if let seq = entry.seq { members.append(("seq", .integer(seq))) }
        if let code = entry.code { members.append(("code", .string(code))) }
        if let reason = entry.reason { members.append(("reason", .string(reason))) }
        if let field = entry.field { members.append(("field", .string(field))) }
        if let recipient = entry.recipient { members.append(("recipient", .string(recipient))) }
        members.append(("created_at", .integer(entry.createdAt)))
        if let answeredAt = entry.answeredAt { members.append(("answered_at", .integer(answeredAt))) }
        return members
    }
}

/// `--state` values.
enum OutboxStateArgument: String, ExpressibleByArgument, CaseIterable {
    case queued, accepted, rejected

    var state: OutboxState {
        switch self {
        case .queued: .queued
        case .accepted: .accepted
        case .rejected: .rejected
        }
    }
}
