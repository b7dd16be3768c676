import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Asking before something an operator cannot take back (redrive, discard, release, purge, suspending a node, moving
/// its backlog): on a terminal the question is asked on stderr and read from stdin; `--yes` answers it for scripts.
/// Without a terminal and without `--yes` nothing is done and referralctl exits 9, so a script never acts by accident.
/// Every changing command goes through here, so they all behave (and exit) alike.
enum Confirmation {
    /// Returns when the action may go ahead; throws `Exit.notConfirmed` (9) otherwise.
    static func require(_ question: String, yes: Bool) throws {
        if yes { return }
        try refuseWithoutTerminal(yes: yes)
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard answer == "y" || answer == "yes" else {
            Output.error("referralctl: not confirmed; nothing was changed")
            throw Exit.notConfirmed
        }
    }

    /// Without --yes, standard input must be a terminal (someone to ask); otherwise exit 9. Commands that must read
    /// from the broker before they can ask call this first, so a script without --yes fails before any request.
    static func refuseWithoutTerminal(yes: Bool) throws {
        guard !yes, isatty(STDIN_FILENO) != 1 else { return }
        Output.error(
            "referralctl: this changes the broker's state and needs a confirmation: run it on a terminal, "
                + "or pass --yes to confirm from a script; nothing was changed")
        throw Exit.notConfirmed
    }

    /// The operator's name for the audit trail: `--operator`, else $SUDO_USER, else $USER (at most 64 characters,
    /// as ADMIN-1 allows).
    static func operatorName(_ given: String?) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard
            let name = [given, environment["SUDO_USER"], environment["USER"]].compactMap({ $0 }).first(where: {
                !$0.isEmpty
            })
        else {
            Output.error("referralctl: who is acting? Give --operator NAME ($SUDO_USER and $USER are not set)")
            throw Exit.usage
        }
        guard name.count <= 64 else {
            Output.error("referralctl: --operator must be at most 64 characters")
            throw Exit.usage
        }
        return name
    }
}
