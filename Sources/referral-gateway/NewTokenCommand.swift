import ArgumentParser
import Foundation
import ReferralGateway

/// `referral-gateway new-token`: a new application token (printed once) and its applications-file entry.
struct NewTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-token",
        abstract: "Make a bearer token for an application and the entry of the applications file that lets it in.",
        discussion: """
            Prints two lines on stdout: the token (256 random bits; shown this once,
            give it to the application and keep it as a secret), then the JSON entry
            to add to "applications" in the gateway's applications_file. The file
            keeps only the token's SHA-256. Then send the gateway SIGHUP (or restart
            it) to let the token in.

              referral-gateway new-token --name school-sis --node gl-school-1 \\
                  --scope send --scope read

            Scopes: send (POST messages, GET their status), receive (the inbox poll
            and complete), read (message status and the other read-only views).
            --node * lets the application act for every node of the gateway.
            """)

    @Option(help: ArgumentHelp("The application's name (logs, 403 answers).", valueName: "NAME"))
    var name: String

    @Option(help: ArgumentHelp("A node id it may act for (repeat for more; * for all).", valueName: "NODE"))
    var node: [String] = []

    @Option(help: ArgumentHelp("send, receive or read (repeat for more).", valueName: "SCOPE"))
    var scope: [String] = []

    func validate() throws {
        if let problem = NewApplicationToken.check(name: name, nodes: node, scopes: scope) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        var generator = SystemRandomNumberGenerator()
        let made = NewApplicationToken.make(
            name: name, nodes: node, scopes: scope.compactMap(GatewayScope.init(rawValue:)), using: &generator)
        print(made.token)
        print(String(decoding: made.entry, as: UTF8.self))
        FileHandle.standardError.write(
            Data(
                ("referral-gateway: line 1 is the token (shown once: give it to '\(name)'); line 2 goes into "
                    + "\"applications\" of the applications file; then SIGHUP the gateway.\n").utf8))
    }
}
