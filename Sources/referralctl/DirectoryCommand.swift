import ArgumentParser
import ReferralProtocol

struct DirectoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory",
        abstract: "Manage the broker's agency directory.",
        subcommands: [DirectoryReloadCommand.self]
    )
}

struct DirectoryReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the broker read its directory, policy and calendar files again (ADMIN-1 RELOAD, like SIGHUP).",
        discussion: """
            The broker reads the directory file (with the authorization
            policy file), the escalation policy file and the calendar file
            together and checks them whole first. If any of them does not
            load, nothing changes (the broker keeps the directory, policies
            and calendar it has) and the command prints what is wrong: file,
            entry, field, problem, for every file that failed.
            Otherwise it prints the number of nodes and the changes: nodes
            added and removed, suspended and reactivated, and the revision of
            the escalation policy now in force. A removed or suspended node's
            live session stops being served at once; other sessions carry on.
            New deadlines follow the new escalation policy; escalations
            already running keep the policy they started with.

            Examples:
              referralctl directory reload
              referralctl directory reload --admin ipc:///run/referrald/admin.sock --json

            Exit codes: 0 reloaded, 1 a file was refused (BAD_DIRECTORY) or
            the broker answered another ERROR, 2 no answer within 5 s, 6 a
            reply that is not ADMIN-1.
            """
    )

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        switch try await admin.request(.reload) {
        case .ok(.reload(let reload)):
            if admin.json { return }
            for line in Self.render(reload) { Output.line(line) }
        case .ok:
            throw AdminOptions.unexpectedResult(of: .reload)
        case .error(let error):
            if !admin.json {
                if error.code == .badDirectory {
                    Output.error(
                        "referralctl: nothing was reloaded (the broker keeps its directory, policies and calendar): "
                            + error.reason)
                } else {
                    AdminOptions.report(error)
                }
            }
            throw Exit.usage
        }
    }

    static func render(_ reload: AdminReload) -> [String] {
        var lines = ["directory reloaded: \(reload.nodes) nodes"]
        var changed = false
        for (ids, label) in [
            (reload.added, "added"), (reload.removed, "removed"), (reload.suspended, "suspended"),
            (reload.reactivated, "reactivated"),
        ] where !ids.isEmpty {
            changed = true
            lines.append("  \(label) (\(ids.count)): \(ids.joined(separator: ", "))")
        }
        if !changed { lines.append("  no nodes added, removed, suspended or reactivated") }
        lines.append("escalation policy in force: revision \(reload.escalationPolicy)")
        return lines
    }
}
