import ArgumentParser
import Foundation
import ReferralProtocol
import ZeroMQ

/// `referralctl node ...`: the operators' node actions (ADMIN-1 NODE-*), each audited with the operator's name.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Suspend, resume, inspect, replace or re-key a node on the running broker.",
        discussion: """
            The directory file stays the list of nodes; these actions are kept
            by the broker in its store and laid over the file at start and
            after every reload (protocols/ADMIN-1.md, NODE-*). Each one that
            changes something is recorded in the audit trail with the
            operator's name: --operator NAME, else $SUDO_USER, else $USER.

            Examples:
              referralctl node suspend test-b --reason "school system replaced"
              referralctl node show test-b --limit 20
              referralctl node move-backlog test-b --to test-b2 --yes
              referralctl node resume test-b
              referralctl node rotate-key test-a --grace 7d \\
                  --public-key-file keys/test-a-new.pub

            suspend and move-backlog ask for confirmation on a terminal;
            --yes confirms from a script. Without a terminal and without
            --yes they do nothing and exit 9.
            """,
        subcommands: [Suspend.self, Resume.self, Show.self, MoveBacklog.self, RotateKey.self])

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend a node: its session is cut, its handshakes refused, deliveries to it wait.",
            discussion: """
                Prints the node's state. Exit codes: 0 done, 1 refused (no
                such node) or the store failed, 2 no answer, 9 not confirmed.
                """)

        @Argument(help: "The node id.") var node: String
        @Option(help: "Why, for the audit trail and STATUS.") var reason: String
        @OptionGroup var change: ChangeOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let op = try change.name()
            try await change.confirm("suspend node \(node)?")
            let request = AdminRequest.nodeSuspend(node: node, reason: reason, operator: op)
            guard case .node(let state) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json { NodeCommand.print(state) }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift an operator's suspension of a node (a suspension in the directory file stays).")

        @Argument(help: "The node id.") var node: String
        @OptionGroup var actor: OperatorOption
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let request = AdminRequest.nodeResume(node: node, operator: try actor.name())
            guard case .node(let state) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json { NodeCommand.print(state) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One node's backlog: counts, then its open deliveries (headers only, never a body).")

        @Argument(help: "The node id.") var node: String
        @Option(help: "At most this many deliveries (1-1000).") var limit: Int = 100
        @Option(help: "Deliveries after this seq (the next page).") var after: Int64?
        @OptionGroup var admin: AdminOptions

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1-1000") }
        }

        func run() async throws {
            let request = AdminRequest.nodeBacklog(node: node, limit: Int64(limit), after: after)
            guard case .nodeBacklog(let backlog) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if admin.json { return }
            var head = "node \(backlog.node)  \(backlog.state)  connected \(backlog.connected ? "yes" : "no")"
            head += "  pending \(backlog.pending)  in flight \(backlog.inFlight)  held \(backlog.held)"
            head += "  dead letters \(backlog.deadLetters)  receipts pending \(backlog.receiptsPending)"
            Output.line(head)
            Output.line("oldest waiting: \(backlog.oldestWaiting.map(Output.time) ?? "none")")
            guard !backlog.deliveries.isEmpty else { return Output.line("open deliveries: none") }
            var rows = [["SEQ", "SENDER", "MESSAGE", "KIND", "PRIORITY", "CASE", "SINCE", "ATTEMPTS"]]
            for delivery in backlog.deliveries {
                rows.append([
                    String(delivery.seq), delivery.sender, delivery.messageId, delivery.kind, delivery.priority,
                    delivery.caseId ?? "-", Output.time(delivery.since), String(delivery.attempts),
                ])
            }
            for line in Output.table(rows) { Output.line(line) }
            if let next = backlog.nextAfter { Output.line("more: referralctl node show \(node) --after \(next)") }
        }
    }

    struct MoveBacklog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "move-backlog",
            abstract: "Give a suspended node's waiting deliveries to its replacement, in one transaction.",
            discussion: """
                FROM must be suspended (referralctl node suspend FROM); TO must
                be an active node of FROM's agency. Deliveries waiting behind a
                dead letter of their case (held) stay with FROM. Exit codes: 0
                moved, 1 refused or the store failed, 2 no answer, 9 not
                confirmed.
                """)

        @Argument(help: "The node whose backlog moves.") var from: String
        @Option(help: "The replacement node.") var to: String
        @OptionGroup var change: ChangeOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let op = try change.name()
            try await change.confirm("move every waiting delivery of node \(from) to node \(to)?")
            let request = AdminRequest.nodeMoveBacklog(from: from, to: to, operator: op)
            guard case .backlogMoved(let move) = try await admin.ask(request, timeout: .seconds(60)) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json {
                Output.line(
                    "moved \(move.moved) deliveries from \(move.from) to \(move.to); open now: \(move.from) "
                        + "\(move.fromOpen), \(move.to) \(move.toOpen)")
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Give a node a new CURVE public key; its old key still works for --grace.",
            discussion: """
                After --grace the old key is refused and a session still using
                it is cut. Edit the directory file to the new key when you can:
                the broker then drops its own record of the rotation.
                --grace is a duration: 90s, 30m, 24h, 7d, 2w, or milliseconds.
                """)

        @Argument(help: "The node id.") var node: String
        @Option(name: .customLong("public-key"), help: ArgumentHelp("The new public key, Z85.", valueName: "Z85"))
        var publicKey: String?
        @Option(
            name: .customLong("public-key-file"),
            help: ArgumentHelp("A public key file (referralctl keygen's PREFIX.pub).", valueName: "FILE"))
        var publicKeyFile: String?
        @Option(help: "How long the old key still works, e.g. 7d.") var grace: String
        @OptionGroup var actor: OperatorOption
        @OptionGroup var admin: AdminOptions

        func validate() throws {
            guard (publicKey == nil) != (publicKeyFile == nil) else {
                throw ValidationError("give exactly one of --public-key and --public-key-file")
            }
            guard NodeCommand.milliseconds(grace) != nil else {
                throw ValidationError("--grace must be a duration (90s, 30m, 24h, 7d, 2w) or milliseconds")
            }
        }

        func run() async throws {
            var key = publicKey ?? ""
            if let publicKeyFile {
                do { key = try KeyFiles.readPublic(path: publicKeyFile).z85 } catch {
                    Output.error("referralctl: \(error)")
                    throw Exit.usage
                }
            }
            let request = AdminRequest.nodeRotateKey(
                node: node, publicKey: key, graceMs: NodeCommand.milliseconds(grace) ?? 0, operator: try actor.name())
            guard case .node(let state) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json { NodeCommand.print(state) }
        }
    }

    /// `90s`, `30m`, `24h`, `7d`, `2w` or plain milliseconds.
    static func milliseconds(_ text: String) -> Int64? {
        guard let last = text.last, ("0"..."9").contains(last) || "smhdw".contains(last),
            let parsed = AuditTime.parse(text, now: 0)
        else { return nil }
        return ("0"..."9").contains(last) ? parsed : -parsed
    }

    static func print(_ state: AdminNodeState) {
        var line = "node \(state.node): \(state.state)"
        if state.directoryState != state.state { line += " (directory file: \(state.directoryState))" }
        Output.line(line)
        if let by = state.suspendedBy {
            Output.line(
                "suspended by \(by)\(state.suspendedAt.map { " at \(Output.time($0))" } ?? ""): "
                    + (state.suspendedReason ?? ""))
        }
        Output.line("key: \(state.publicKey)")
        if let previous = state.previousKey, let until = state.previousKeyUntil {
            Output.line("previous key \(previous) accepted until \(Output.time(until))")
        }
        if state.sessionEnded { Output.line("its session was ended") }
    }
}
