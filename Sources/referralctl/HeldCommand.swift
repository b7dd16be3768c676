import ArgumentParser
import Foundation
import ReferralProtocol

struct HeldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "held",
        abstract: "List or release held cases (ADMIN-1 HELD, RELEASE).",
        discussion: """
            A case is held for a recipient when one of its messages to that
            recipient became a dead letter: its later messages to that
            recipient wait, in order, until the dead letter is redriven or
            discarded, or the case is released.

            Examples:
              referralctl held list
              referralctl held release 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b --recipient test-b
            """,
        subcommands: [List.self, Release.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the held (case, recipient) lanes: since when, the dead letter, how many wait.",
            discussion: "Exit codes: 0 ok, 1 the broker answered ERROR, 2 no answer, 6 a reply that is not ADMIN-1.")

        @Option(help: "Only lanes to this recipient node.") var recipient: String?
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let request = AdminRequest.held(recipient: recipient)
            guard case .held(let lanes) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if admin.json { return }
            guard !lanes.isEmpty else { return Output.line("held cases: none") }
            var rows = [["CASE", "RECIPIENT", "SINCE", "DEAD LETTER", "WAITING", "REASON"]]
            for lane in lanes {
                rows.append([
                    lane.caseId, lane.recipient, Output.time(lane.since), "seq \(lane.seq)",
                    lane.waiting.map(String.init) ?? "-", lane.reason ?? "",
                ])
            }
            for line in Output.table(rows) { Output.line(line) }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a held case: its waiting messages to the recipient flow, in order.",
            discussion: """
                The dead letter itself stays a dead letter (it can still be
                redriven or discarded). Prints
                  released: case CASE for NODE (held behind seq N)

                Exit codes: 0 done, 1 the broker answered ERROR (NOT_FOUND:
                not held), 2 no answer, 6 a reply that is not ADMIN-1, 9 not
                confirmed (nothing changed).
                """)

        @Argument(help: "The case id.") var caseId: String
        @Option(help: "The recipient node the case is held for.") var recipient: String
        @OptionGroup var change: ChangeOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            // Refused without a terminal (and --yes) before anything else: a script learns what it must add.
            try change.refuseWithoutTerminal()
            let operatorName = try change.name()
            try await change.confirm("Release case \(caseId) for \(recipient): its waiting messages flow on?")
            let request = AdminRequest.release(caseId: caseId, recipient: recipient, operatorName: operatorName)
            guard case .release(let lane) = try await admin.ask(request) else {
                throw AdminOptions.unexpectedResult(of: request)
            }
            if !admin.json {
                Output.line("released: case \(lane.caseId) for \(lane.recipient) (held behind seq \(lane.seq))")
            }
        }
    }
}
