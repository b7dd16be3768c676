import Foundation
import Testing

/// docs/RUNBOOK.md tells operators what to type: every `referralctl`, `referrald` and `referral-gateway` command it
/// shows must exist, with the flags it uses (each read from the tool's own --help). Three minutes: a few dozen
/// `--help` runs of debug binaries took more than one on a loaded 2-core machine.
@Suite(.timeLimit(.minutes(3))) struct RunbookTests {
    /// The command lines the runbook shows: inline code and code-block lines that start with the tool's name
    /// (after an optional `sudo -u referrald` or `sudo -u referral-gateway`).
    static func commandLines(of tool: String) throws -> [[String]] {
        let text = try String(
            contentsOf: Locations.packageRoot.appendingPathComponent("docs/RUNBOOK.md"), encoding: .utf8)
        var candidates = text.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        candidates += text.split(separator: "\n").map(String.init)
        return candidates.compactMap { line in
            var words = line.split(separator: " ").map(String.init)
            if words.starts(with: ["sudo", "-u", "referrald"])
                || words.starts(with: ["sudo", "-u", "referral-gateway"])
            {
                words.removeFirst(3)
            }
            return words.first == tool && words.count > 1 ? Array(words.dropFirst()) : nil
        }
    }

    /// The subcommands a `--help` lists (indented by two spaces, unlike their descriptions' next lines).
    static func subcommands(_ help: String) -> Set<String> {
        guard help.contains("SUBCOMMANDS:") else { return [] }
        return Set(
            (help.components(separatedBy: "SUBCOMMANDS:").last ?? "").split(separator: "\n")
                .filter { $0.hasPrefix("  ") && $0.dropFirst(2).first?.isLetter == true }
                .compactMap { $0.split(separator: " ").first.map(String.init) })
    }

    @Test(arguments: [
        ("referralctl", "REFERRALCTL_BIN"), ("referrald", "REFERRALD_BIN"),
        ("referral-gateway", "REFERRAL_GATEWAY_BIN"),
    ])
    func everyCommandTheRunbookShowsExistsWithItsFlags(_ tool: String, _ variable: String) async throws {
        let executable = try Locations.executable(tool, variable: variable)
        let lines = try Self.commandLines(of: tool)
        #expect(lines.count >= 5, "read from the runbook: \(lines)")
        var helps: [[String]: String] = [:]
        func help(_ path: [String]) async throws -> String {
            if let known = helps[path] { return known }
            let text = try await Tool.run(executable, path + ["--help"]).output
            helps[path] = text
            return text
        }
        for words in lines {
            // The command's path: as many leading words as are subcommands of the path so far.
            var path: [String] = []
            while path.count < words.count, Self.subcommands(try await help(path)).contains(words[path.count]) {
                path.append(words[path.count])
            }
            guard let first = words.first, !path.isEmpty || !first.first!.isLetter else {
                Issue.record("\(tool) has no command \(words.first ?? "") (runbook: \(words))")
                continue
            }
            let usage = try await help(path)
            for flag in words where flag.hasPrefix("--") {
                #expect(usage.contains(flag), "\(tool) \(path.joined(separator: " ")) has no \(flag) (runbook)")
            }
        }
    }
}
