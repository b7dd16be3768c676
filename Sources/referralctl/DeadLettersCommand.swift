import ArgumentParser
import Foundation
import ReferralProtocol

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List, show, redrive or discard dead letters (ADMIN-1 DEAD-LETTERS, DEAD-LETTER, REDRIVE, DISCARD).",
        discussion: """
            A dead letter is one recipient's delivery of a message that the
            recipient refused for good (a NACK without retry) or that failed
            every attempt. It is never dropped. If the message has a case,
            the case's later messages to that recipient are held behind it
            (see `referralctl held`).

            Examples:
              referralctl dead-letters list --node test-b --older-than 2h
              referralctl dead-letters show 1042 --recipient test-b
              referralctl dead-letters redrive 1042 --recipient test-b
              referralctl dead-letters redrive 1042 --recipient test-b --to test-c
              referralctl dead-letters discard 1042 --recipient test-b --yes

            redrive and discard ask for confirmation on a terminal; --yes
            skips it. Without a terminal and without --yes they refuse and
            exit 9, changing nothing.
            """,
        subcommands: [List.self, Show.self, Redrive.self, Discard.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the open dead letters, oldest seq first (never a body).",
            discussion: """
                Prints one line per dead letter: seq, recipient, sender,
                message id, kind, priority, case, when it was dead-lettered,
                attempts and reason. Pages through every match (at most
                --limit per request).

                Exit codes: 0 ok, 1 the broker answered ERROR, 2 no answer,
                6 a reply that is not ADMIN-1.
                """)

        @Option(help: "Only dead letters to this recipient node.") var node: String?
        @Option(help: "Only messages from this sender node.") var sender: String?
        @Option(help: "Only messages of this kind.") var kind: String?
        @Option(help: "Only dead letters whose reason contains TEXT.") var reason: String?
        @Option(
            name: .customLong("older-than"),
            help: ArgumentHelp(
                "Only those dead-lettered at least this long ago: 90s, 30m, 2h, 7d, 2w.", valueName: "AGE"))
        var olderThan: String?
        @Option(help: "Dead letters asked for per request (1-1000).") var limit: Int = 100
        @OptionGroup var admin: AdminOptions

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
            if let olderThan, Self.age(olderThan) == nil {
                throw ValidationError("--older-than must be a duration such as 90s, 30m, 2h, 7d or 2w")
            }
        }

        static func age(_ text: String) -> Int64? {
            guard let unit = text.last, "smhdw".contains(unit), let start = AuditTime.parse(text, now: 0) else {
                return nil
            }
            return -start
        }

        func run() async throws {
            var cursor: String?
            var letters: [AdminRepair.DeadLetter] = []
            repeat {
                let request = AdminRequest.deadLetters(
                    AdminRepair.Query(
                        node: node, sender: sender, kind: kind, reason: reason,
                        olderThanMs: olderThan.flatMap(Self.age),
                        limit: Int64(limit), cursor: cursor))
                guard case .deadLetters(let page) = try await admin.ask(request) else {
                    throw AdminOptions.unexpectedResult(of: request)
                }
                letters += page.deadLetters
                cursor = page.nextCursor
            } while cursor != nil
            if admin.json { return }
            guard !letters.isEmpty else { return Output.line("dead letters: none") }
            var rows = [
                [
                    "SEQ", "RECIPIENT", "SENDER", "MESSAGE", "KIND", "PRIORITY", "CASE", "DEAD SINCE", "ATTEMPTS",
                    "REASON",
                ]
            ]
            for letter in letters {
                rows.append([
                    String(letter.seq), letter.recipient, letter.sender, letter.messageId, letter.kind, letter.priority,
                    letter.caseId ?? "-", Output.time(letter.deadLetteredAt), String(letter.attempts), letter.reason,
                ])
            }
            for line in Output.table(rows) { Output.line(line) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dead letter: headers, body size and SHA-256 (never the body), reason, trail.")

        @Argument(help: "The message's seq.") var seq: Int64
        @Option(help: "The dead letter's recipient node.") var recipient: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let request = AdminRequest.deadLetter(seq: seq, recipient: recipient)
            guard case .deadLetter(let detail) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if admin.json { return }
            for line in Self.render(detail) { Output.line(line) }
        }

        static func render(_ detail: AdminRepair.Detail) -> [String] {
            let letter = detail.letter
            var lines = [
                "dead letter seq \(letter.seq) to \(letter.recipient)",
                "  message     \(letter.sender)/\(letter.messageId)  kind \(letter.kind)  priority \(letter.priority)",
                "  case        \(letter.caseId ?? "-")",
                "  recipients  \(detail.recipients.joined(separator: ", "))",
                "  accepted    \(Output.time(detail.acceptedAt))",
                "  dead since  \(Output.time(letter.deadLetteredAt))  after \(letter.attempts) attempt(s)",
                "  reason      \(letter.reason)",
            ]
            if let octets = detail.bodyOctets, let digest = detail.bodySHA256 {
                lines.append("  body        \(octets) octets, sha256 \(digest)")
            } else {
                lines.append("  body        purged (cannot be redriven)")
            }
            lines.append("trail:")
            lines += TrailCommand.render(detail.events).map { "  " + $0 }
            return lines
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver a dead letter again (attempts reset); the case's held messages follow it in order.",
            discussion: """
                With --to, the message goes to that node instead (a corrected
                recipient: an active node the sender may send this kind to);
                the dead letter to the old recipient is closed, and a case
                held behind it there is released. The sender gets a new
                receipt once the delivery ends. Prints
                  redriven: seq N to NODE (case released)

                Exit codes: 0 done, 1 the broker answered ERROR (NOT_FOUND,
                BODY_PURGED, REDRIVE_REFUSED, ...), 2 no answer, 6 a reply
                that is not ADMIN-1, 9 not confirmed (nothing changed).
                """)

        @Argument(help: "The message's seq.") var seq: Int64
        @Option(help: "The dead letter's recipient node.") var recipient: String
        @Option(help: "Deliver to this node instead (a corrected recipient).") var to: String?
        @OptionGroup var change: ChangeOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            // Refused without a terminal (and --yes) before anything else: a script learns what it must add.
            try change.refuseWithoutTerminal()
            let operatorName = try change.name()
            try await change.confirm(
                try await DeadLettersCommand.describe(seq: seq, recipient: recipient, admin: admin)
                    + "\nRedrive it\(to.map { " to \($0)" } ?? "")?")
            let request = AdminRequest.redrive(seq: seq, recipient: recipient, to: to, operatorName: operatorName)
            guard case .redrive(let done) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json {
                Output.line("redriven: seq \(done.seq) to \(done.to)\(done.released ? " (case released)" : "")")
            }
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a dead letter for good; the case's held messages to that recipient flow on.",
            discussion: """
                The message stays stored and on its trail (`discarded`). Prints
                  discarded: seq N to NODE (case released)

                Exit codes: 0 done, 1 the broker answered ERROR (NOT_FOUND,
                ...), 2 no answer, 6 a reply that is not ADMIN-1, 9 not
                confirmed (nothing changed).
                """)

        @Argument(help: "The message's seq.") var seq: Int64
        @Option(help: "The dead letter's recipient node.") var recipient: String
        @OptionGroup var change: ChangeOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            // Refused without a terminal (and --yes) before anything else: a script learns what it must add.
            try change.refuseWithoutTerminal()
            let operatorName = try change.name()
            try await change.confirm(
                try await DeadLettersCommand.describe(seq: seq, recipient: recipient, admin: admin)
                    + "\nDiscard it for good?")
            let request = AdminRequest.discard(seq: seq, recipient: recipient, operatorName: operatorName)
            guard case .discard(let done) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json {
                Output.line("discarded: seq \(done.seq) to \(done.recipient)\(done.released ? " (case released)" : "")")
            }
        }
    }

    /// The dead letter in one line, for the confirmation prompt (an ERROR reply, such as NOT_FOUND, ends the command).
    static func describe(seq: Int64, recipient: String, admin: AdminOptions) async throws -> String {
        var quiet = admin
        quiet.json = false
        let request = AdminRequest.deadLetter(seq: seq, recipient: recipient)
        guard case .deadLetter(let detail) = try await quiet.ask(request) else {
            throw AdminOptions.unexpectedResult(of: request)
        }
        let letter = detail.letter
        return """
            dead letter seq \(letter.seq) to \(letter.recipient): \(letter.sender)/\(letter.messageId) \(letter.kind) \
            \(letter.priority)\(letter.caseId.map { " case \($0)" } ?? ""), dead since \
            \(Output.time(letter.deadLetteredAt)): \(letter.reason)
            """
    }
}
