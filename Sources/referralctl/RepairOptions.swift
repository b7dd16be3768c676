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
    func name() throws -> String {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.value.isEmpty }
        guard let name = operatorName ?? environment["SUDO_USER"] ?? environment["USER"], !name.isEmpty else {
            Output.error("referralctl: who is asking? Give --operator NAME (no $SUDO_USER or $USER is set)")
            throw Exit.usage
        }
        guard name.count <= 64 else {
            Output.error("referralctl: --operator must be at most 64 characters")
            throw Exit.usage
        }
        return name
    }

    /// Asks `question` on the terminal unless --yes; without a terminal and without --yes, refuses (exit 9), as it
    /// does when the answer is not yes. Nothing has been changed when it throws.
    func confirm(_ question: @autoclosure () async throws -> String) async throws {
        if yes { return }
        try refuseWithoutTerminal()
        let prompt = try await question() + " [y/N] "
        FileHandle.standardError.write(Data(prompt.utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            Output.error("referralctl: not confirmed; nothing was changed")
            throw Exit.notConfirmed
        }
    }

    /// Without --yes, standard input must be a terminal (someone to ask); otherwise exit 9.
    func refuseWithoutTerminal() throws {
        guard !yes, isatty(STDIN_FILENO) != 1 else { return }
        Output.error(
            "referralctl: this changes the broker's state and needs a confirmation: run it on a terminal, "
                + "or pass --yes; nothing was changed")
        throw Exit.notConfirmed
    }
}
