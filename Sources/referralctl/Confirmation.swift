import Foundation
import Glibc

/// Asking before something an operator cannot take back (suspending a node, moving its backlog): on a terminal the
/// question is asked on stderr and read from stdin; `--yes` answers it for scripts. Without a terminal and without
/// `--yes` nothing is done and referralctl exits 9, so a script never acts by accident.
enum Confirmation {
    /// Returns when the action may go ahead; throws `Exit.notConfirmed` (9) otherwise.
    static func require(_ question: String, yes: Bool) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else {
            Output.error(
                "referralctl: \(question) — refused: no terminal to ask on; add --yes to confirm from a script")
            throw Exit.notConfirmed
        }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard answer == "y" || answer == "yes" else {
            Output.error("referralctl: not confirmed; nothing was done")
            throw Exit.notConfirmed
        }
    }

    /// The operator's name for the audit trail: `--operator`, else $SUDO_USER, else $USER.
    static func operatorName(_ given: String?) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let name = [given, environment["SUDO_USER"], environment["USER"]].compactMap({ $0 }).first(where: {
            !$0.isEmpty
        }) {
            return name
        }
        Output.error("referralctl: who is acting? Give --operator NAME ($SUDO_USER and $USER are not set)")
        throw Exit.usage
    }
}
