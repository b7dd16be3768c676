import ArgumentParser
import Foundation
import ReferralProtocol

/// `--operator` of every command the broker audits: who acts, recorded in its audit trail.
struct OperatorOption: ParsableArguments {
    @Option(
        name: .customLong("operator"),
        help: ArgumentHelp(
            "Your name in the broker's audit trail (default: $SUDO_USER, else $USER).", valueName: "NAME"))
    var operatorName: String?

    /// The operator's name: --operator, else $SUDO_USER, else $USER.
    func name() throws -> String { try Confirmation.operatorName(operatorName) }
}

/// `--operator` and `--yes` of the commands that change something an operator cannot take back (redrive, discard,
/// release, purge, node suspend, node move-backlog): who asks, and the confirmation asked on a terminal first.
struct ChangeOptions: ParsableArguments {
    @OptionGroup var actor: OperatorOption

    @Flag(help: "Do not ask for confirmation (for scripts; required without a terminal).")
    var yes = false

    /// The operator's name: --operator, else $SUDO_USER, else $USER.
    func name() throws -> String { try actor.name() }

    /// Asks `question` on the terminal unless --yes; without a terminal and without --yes, refuses (exit 9), as it
    /// does when the answer is not yes. Nothing has been changed when it throws.
    func confirm(_ question: @autoclosure () async throws -> String) async throws {
        if yes { return }
        try refuseWithoutTerminal()
        try Confirmation.require(try await question(), yes: false)
    }

    /// Without --yes, standard input must be a terminal (someone to ask); otherwise exit 9.
    func refuseWithoutTerminal() throws { try Confirmation.refuseWithoutTerminal(yes: yes) }
}
