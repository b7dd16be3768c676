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
        abstract: "Make the broker read its directory file again (ADMIN-1 RELOAD, like SIGHUP).",
        discussion: """
            The broker checks the whole file first; a bad file changes
            nothing (the broker keeps serving the directory it has) and the
            command prints what is wrong: file, entry, field, problem.
            Otherwise it prints the number of nodes and the changes: nodes
            added and removed, suspended and reactivated. A removed or
            suspended node's live session stops being served at once; other
            sessions carry on.

            Examples:
              referralctl directory reload
              referralctl directory reload --admin ipc:///run/referrald/admin.sock --json

            Exit codes: 0 reloaded, 1 the file was refused (BAD_DIRECTORY) or
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
                    Output.error("referralctl: the directory was not reloaded (the broker keeps the one it has): \(reason)")
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
        return lines
    }
}
