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
            the broker answered another ERROR, 2 no answer within 5 s.
            """
    )

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let reply = try await admin.request("RELOAD", .object([]))
        guard reply.ok else {
            if !admin.json {
                if reply.json["code"]?.stringValue == "BAD_DIRECTORY" {
                    let reason = reply.json["reason"]?.stringValue ?? "(no reason given)"
                    Output.error(
                        "referralctl: nothing was reloaded (the broker keeps its directory, policies and calendar): "
                            + reason)
                } else {
                    AdminOptions.reportError(reply)
                }
            }
            throw Exit.usage
        }
        if admin.json { return }
        for line in Self.render(reply.json) { Output.line(line) }
    }

    static func render(_ reply: JSONValue) -> [String] {
        let count = reply["nodes"]?.integerValue.map(String.init) ?? "?"
        var lines = ["directory reloaded: \(count) nodes"]
        var changed = false
        for (key, label) in [
            ("added", "added"), ("removed", "removed"), ("suspended", "suspended"), ("reactivated", "reactivated"),
        ] {
            let ids = (reply[key]?.arrayValue ?? []).compactMap(\.stringValue)
            guard !ids.isEmpty else { continue }
            changed = true
            lines.append("  \(label) (\(ids.count)): \(ids.joined(separator: ", "))")
        }
        if !changed { lines.append("  no nodes added, removed, suspended or reactivated") }
        if let revision = reply["escalation_policy"]?.stringValue {
            lines.append("escalation policy in force: revision \(revision)")
        }
        return lines
    }
}
