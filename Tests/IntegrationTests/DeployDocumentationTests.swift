import Foundation
import Testing

/// deploy/README.md is what an operator reads: every flag of `referrald run` and every key of the directory file
/// must be in it (issue 8, item 14).
@Suite struct DeployDocumentationTests {
    static func readme() throws -> String {
        try String(contentsOf: Locations.packageRoot.appendingPathComponent("deploy/README.md"), encoding: .utf8)
    }

    /// The flags `referrald run --help` lists, each documented as a row of the README's flag table.
    @Test func everyFlagOfReferraldRunIsDocumented() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Locations.executable("referrald", variable: "REFERRALD_BIN"))
        process.arguments = ["run", "--help"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let help = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let flags = Set(
            help.split(whereSeparator: { $0.isWhitespace || $0 == "[" || $0 == "]" || $0 == "," })
                .filter { $0.hasPrefix("--") }.map(String.init)
        ).subtracting(["--help", "--version"])  // generic flags of every command
        #expect(flags.contains("--config") && flags.contains("--endpoint"), "flags read from --help: \(flags)")
        let readme = try Self.readme()
        let missing = flags.filter { !readme.contains("| `\($0)") }.sorted()
        #expect(missing.isEmpty, "deploy/README.md does not list these flags of referrald run: \(missing)")
    }

    /// Every key of the example directory (top level and node) has a row in the README's directory tables.
    @Test func everyKeyOfTheDirectoryFileIsDocumented() throws {
        let data = try Data(contentsOf: Locations.packageRoot.appendingPathComponent("deploy/directory.example.json"))
        let top = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let nodes = top["nodes"] as? [[String: Any]] ?? []
        let keys = Set(top.keys).union(nodes.flatMap(\.keys)).union(["kinds"])
        let readme = try Self.readme()
        let missing = keys.filter { !readme.contains("| `\($0)` |") }.sorted()
        #expect(missing.isEmpty, "deploy/README.md does not document these directory keys: \(missing)")
    }
}
