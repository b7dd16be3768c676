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

/// Where the broker's admin endpoint is: `--admin`, else the one of `--broker-config`, else $REFERRAL_ADMIN, else
/// the one of $REFERRAL_BROKER_CONFIG, else the development setup of the checkout this referralctl was built in
/// (`scripts/run`'s data/dev/referrald.json). A broker configuration's relative paths are resolved against the
/// file's folder, as referrald resolves them, so every command works from any directory.
struct AdminEndpointOptions: ParsableArguments {
    static let help = """
        --admin ENDPOINT, else --broker-config FILE (the endpoint that broker \
        configuration sets), else $REFERRAL_ADMIN, else $REFERRAL_BROKER_CONFIG, \
        else the development broker of this checkout (data/dev/referrald.json)
        """

    @Option(
        help: ArgumentHelp("The broker's admin endpoint, e.g. ipc:///run/referrald/admin.sock.", valueName: "ENDPOINT"))
    var admin: String?

    @Option(
        name: .customLong("broker-config"),
        help: ArgumentHelp("The broker's configuration file: use the admin endpoint it sets.", valueName: "FILE"))
    var brokerConfig: String?

    /// The endpoint in force; a broker configuration that cannot be read is reported and exits 1.
    func endpoint() throws -> String {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.value.isEmpty }
        do throws(ConfigurationError) {
            if let admin { return admin }
            if let brokerConfig { return try AdminEndpoint.fromBrokerConfiguration(path: brokerConfig) }
            if let admin = environment["REFERRAL_ADMIN"] { return admin }
            if let file = environment["REFERRAL_BROKER_CONFIG"] {
                return try AdminEndpoint.fromBrokerConfiguration(path: file)
            }
        } catch {
            Output.error("referralctl: \(error)")
            throw Exit.usage
        }
        if let development = AdminEndpoint.developmentDefault(executablePath: Self.executablePath) {
            return development
        }
        Output.error(
            "referralctl: which broker? Give --admin ipc://PATH or --broker-config FILE (or set $REFERRAL_ADMIN "
                + "or $REFERRAL_BROKER_CONFIG); no development setup (data/dev/referrald.json) was found next to "
                + "this referralctl's checkout")
        throw Exit.usage
    }

    private static var executablePath: String {
        Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}

/// `--admin`, `--broker-config` and `--json` of the commands that ask the broker's admin endpoint.
struct AdminOptions: ParsableArguments {
    @OptionGroup var location: AdminEndpointOptions

    @Flag(help: "Print the broker's JSON reply as it is.")
    var json = false

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
        let reply = try await Self.request(endpoint: try location.endpoint(), command, arguments)
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
