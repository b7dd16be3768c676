import ArgumentParser
import Foundation
import ReferralProtocol

/// `--admin` and `--json` of the commands that ask the broker's admin endpoint.
struct AdminOptions: ParsableArguments {
    static let fallbackEndpoint = "ipc://data/dev/admin.sock"

    @Option(
        help: ArgumentHelp(
            "The broker's admin endpoint (default: $REFERRAL_ADMIN, else \(AdminOptions.fallbackEndpoint)).",
            valueName: "ENDPOINT"))
    var admin: String?

    @Flag(help: "Print the broker's JSON reply as it is.")
    var json = false

    var endpoint: String {
        if let admin { return admin }
        return ProcessInfo.processInfo.environment["REFERRAL_ADMIN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.fallbackEndpoint
    }

    /// Sends the request; on failure reports it and exits 2 (no answer) or 1 (an ERROR reply).
    /// Returns the reply, after printing it raw with --json.
    func ask(_ command: String, _ arguments: JSONValue) async throws -> JSONValue {
        let reply: AdminReply
        do {
            reply = try await AdminClient.request(endpoint: endpoint, command: command, arguments: arguments)
        } catch {
            Output.error("referralctl: \(error)")
            throw Exit.unreachable
        }
        if json { Output.line(String(decoding: reply.raw, as: UTF8.self)) }
        guard reply.ok else {
            if !json {
                let code = reply.json["code"]?.stringValue ?? "ERROR"
                let reason = reply.json["reason"]?.stringValue ?? ""
                Output.error("referralctl: the broker answered \(code): \(reason)")
            }
            throw Exit.usage
        }
        return reply.json
    }
}
