import ArgumentParser
import Foundation
import ReferralClient
import ReferralProtocol

/// An ADMIN-1 reply with its JSON body parsed.
struct AdminAnswer: Sendable {
    /// true for OK, false for ERROR.
    var ok: Bool
    /// Frame 3 as received.
    var raw: [UInt8]
    var json: JSONValue
}

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

    var endpoint: String { Self.endpoint(admin) }

    /// `--admin` if given, else $REFERRAL_ADMIN, else the fallback.
    static func endpoint(_ admin: String?) -> String {
        if let admin { return admin }
        return ProcessInfo.processInfo.environment["REFERRAL_ADMIN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.fallbackEndpoint
    }

    /// Sends the request; on failure reports it and exits 2 (no answer) or 1 (an ERROR reply).
    /// Returns the reply, after printing it raw with --json.
    func ask(_ command: String, _ arguments: JSONValue) async throws -> JSONValue {
        let reply = try await request(command, arguments)
        guard reply.ok else {
            if !json { Self.reportError(reply) }
            throw Exit.usage
        }
        return reply.json
    }

    /// Sends the request and returns the reply, OK or ERROR, after printing it raw with --json; exits 2 when
    /// there is no answer.
    func request(_ command: String, _ arguments: JSONValue) async throws -> AdminAnswer {
        let reply = try await Self.request(endpoint: endpoint, command, arguments)
        if json { Output.line(String(decoding: reply.raw, as: UTF8.self)) }
        return reply
    }

    /// One request to `endpoint`; reports a missing answer and exits 2.
    static func request(endpoint: String, _ command: String, _ arguments: JSONValue) async throws -> AdminAnswer {
        do {
            let reply = try await AdminConnection(endpoint: endpoint).request(
                command, arguments: JSONWriter.encode(arguments))
            return try parse(reply, endpoint: endpoint)
        } catch {
            Output.error("referralctl: \(error)")
            throw Exit.unreachable
        }
    }

    private static func parse(_ reply: AdminReply, endpoint: String) throws -> AdminAnswer {
        do throws(JSONError) {
            let json = try JSONReader.parse(reply.json, maxDepth: 32)
            return AdminAnswer(ok: reply.ok, raw: reply.json, json: json)
        } catch {
            throw AdminFailure.malformedReply(endpoint: endpoint, detail: "frame 3 is not JSON (\(error))")
        }
    }

    /// "referralctl: the broker answered CODE: reason" on stderr.
    static func reportError(_ reply: AdminAnswer) {
        let code = reply.json["code"]?.stringValue ?? "ERROR"
        let reason = reply.json["reason"]?.stringValue ?? ""
        Output.error("referralctl: the broker answered \(code): \(reason)")
    }
}
