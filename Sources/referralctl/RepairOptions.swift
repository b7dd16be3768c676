import ArgumentParser
import Foundation
import ReferralProtocol

/// `--operator` and `--yes` of the commands that change something (redrive, discard, release): who asks (recorded in
/// the broker's audit trail), and the confirmation asked on a terminal first.
struct ChangeOptions: ParsableArguments {
    @Option(
        name: .customLong("operator"),
        help: ArgumentHelp(
            "Your name in the broker's audit trail (default: $SUDO_USER, else $USER).", valueName: "NAME"))
    var operatorName: String?

    @Flag(help: "Do not ask for confirmation (for scripts; required without a terminal).")
    var yes = false

    /// The operator's name: --operator, else $SUDO_USER, else $USER.
    func name() throws -> String { try Confirmation.operatorName(operatorName) }

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
