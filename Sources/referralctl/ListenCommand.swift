import ArgumentParser
import Foundation
import ReferralClient
import ReferralProtocol

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Receive messages as the node of --config and print one JSON line per message.",
        discussion: """
            Prints one JSON line per message, then marks it completed (what
            has arrived is printed first, then completed in one commit):
              {"seq":1042,"id":"test-a:000001","from":"test-a",
               "to":["test-b"],"kind":"referral.request","case":"3f2a...",
               "priority":"urgent","accepted_at":1767225600000,"body":"..."}
            "case" is null when there is none; "body_base64" replaces "body"
            when the body is not UTF-8. A message is printed again (by the
            next listen) only if referralctl stopped between printing and
            completing it. Messages that arrived while nobody listened come
            first.

            With --receipts, receipts for this node's own messages are
            printed too, each once:
              {"receipt":77,"seq":1042,"id":"test-a:000001",
               "recipient":"test-b","outcome":"delivered","at":1767225600250}
            ("outcome" is "delivered" or "dead-lettered", with "reason"),
            and each of this node's messages the broker REJECTED for good,
            also one sent earlier with `send --no-wait`, each once:
              {"id":"test-a:000002","outcome":"rejected",
               "code":"UNKNOWN_RECIPIENT","reason":"...","recipient":"nobody",
               "at":1767225600300}
            (`referralctl outbox --rejected` lists them all again).

            While the broker cannot be reached or refuses this node (e.g. it
            is suspended in the directory), listen keeps retrying and says
            why on stderr, once per new problem.

            Stops after --count messages, or when no message arrives for
            --timeout seconds (exit 0); otherwise runs until interrupted.

            Examples:
              referralctl listen --config test-b.json --count 1 --timeout 10
              referralctl listen --config test-a.json --receipts --timeout 5
            """
    )

    @OptionGroup var node: NodeOptions

    @Option(help: ArgumentHelp("Stop after this many messages.", valueName: "N"))
    var count: Int?

    @Option(help: ArgumentHelp("Stop when no message arrives for this long.", valueName: "SECONDS"))
    var timeout: Double?

    @Flag(help: "Also print receipts and rejections for this node's own messages.")
    var receipts = false

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if let timeout, !(timeout >= 0 && timeout.isFinite) { throw ValidationError("--timeout must be 0 or more.") }
    }

    func run() async throws {
        let node = try node.openNode()
        node.start()
        let idle: Duration? = timeout.map { .milliseconds(Int64($0 * 1000)) }
        let receiptPrinter: Task<Void, Never>? =
            receipts
            ? Task {
                while !Task.isCancelled {
                    guard let receipt = try? await node.nextReceipt(timeout: nil) else { return }
                    Self.print(receipt)
                }
            } : nil
        let rejectionPrinter: Task<Void, Never>? =
            receipts
            ? Task {
                while !Task.isCancelled {
                    guard let rejection = try? await node.nextRejection(timeout: nil) else { return }
                    Self.print(rejection: rejection)
                }
            } : nil
        let problemReporter = Task { await Self.reportProblems(of: node) }

        var received = 0
        var failure: (any Error)?
        do {
            // What is already in the inbox is taken, printed and completed in batches (one commit each): one
            // fsync per message would hold a backlog to the disk's fsync rate.
            while count.map({ received < $0 }) ?? true {
                let limit = min(Self.batch, count.map { $0 - received } ?? Self.batch)
                let messages = try await node.nextMessages(max: limit, timeout: idle)
                guard !messages.isEmpty else { break }
                for message in messages { Self.print(message) }
                try await node.complete(messages)
                received += messages.count
            }
        } catch {
            failure = error
        }
        problemReporter.cancel()
        receiptPrinter?.cancel()
        rejectionPrinter?.cancel()
        await receiptPrinter?.value
        await rejectionPrinter?.value
        if receipts, failure == nil {
            // Receipts and rejections that are already stored are printed before leaving.
            while let receipt = try? await node.nextReceipt(timeout: .zero) { Self.print(receipt) }
            while let rejection = try? await node.nextRejection(timeout: .zero) { Self.print(rejection: rejection) }
        }
        await node.shutdown()
        if let failure {
            Output.error("referralctl: \(failure)")
            throw Exit.usage
        }
    }

    /// The most messages printed before one commit of their completions.
    static let batch = 512

    static func print(_ message: InboxMessage) {
        var members: [(key: String, value: JSONValue)] = [
            ("seq", .integer(message.seq)), ("id", .string(message.id)), ("from", .string(message.from)),
            ("to", .array(message.to.map { .string($0) })), ("kind", .string(message.kind)),
            ("case", message.caseId.map { .string($0) } ?? .null), ("priority", .string(message.priority.rawValue)),
            ("accepted_at", .integer(message.acceptedAt)),
        ]
        if let text = String(validating: message.body, as: UTF8.self) {
            members.append(("body", .string(text)))
        } else {
            members.append(("body_base64", .string(Data(message.body).base64EncodedString())))
        }
        Output.json(members)
    }

    /// Says on stderr why the node cannot connect (unreachable, refused, suspended), once per new problem,
    /// and when it connects again: a listener that only retries would look like one with nothing to receive.
    static func reportProblems(of node: ReferralNode) async {
        var reported: String?
        while !Task.isCancelled {
            let problem = node.connectionProblem
            if let problem, problem != reported {
                Output.error("referralctl: \(problem); retrying")
            } else if problem == nil, reported != nil, node.isConnected {
                Output.error("referralctl: connected again")
            }
            if problem != nil || node.isConnected { reported = problem }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    static func print(rejection entry: OutboxEntry) {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(entry.id)), ("outcome", .string("rejected")), ("code", .string(entry.code ?? "")),
            ("reason", .string(entry.reason ?? "")),
        ]
        if let field = entry.field { members.append(("field", .string(field))) }
        if let recipient = entry.recipient { members.append(("recipient", .string(recipient))) }
        if let answeredAt = entry.answeredAt { members.append(("at", .integer(answeredAt))) }
        Output.json(members)
    }

    static func print(_ receipt: DeliveryReceipt) {
        var members: [(key: String, value: JSONValue)] = [
            ("receipt", .integer(receipt.receipt)), ("seq", .integer(receipt.seq)), ("id", .string(receipt.messageId)),
            ("recipient", .string(receipt.recipient)),
            ("outcome", .string(receipt.delivered ? "delivered" : "dead-lettered")), ("at", .integer(receipt.at)),
        ]
        if let reason = receipt.reason { members.append(("reason", .string(reason))) }
        Output.json(members)
    }
}
