import ArgumentParser
import Foundation
import ReferralClient
import ReferralProtocol

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

    /// Sends the request; on failure reports it and exits 2 (no answer), 6 (not an ADMIN-1 reply) or 1 (an ERROR
    /// reply). Returns the result, after printing the reply raw with --json.
    func ask(_ request: AdminRequest, timeout: Duration = .seconds(5)) async throws -> AdminResult {
        switch try await self.request(request, timeout: timeout) {
        case .ok(let result):
            return result
        case .error(let error):
            if !json { Self.report(error) }
            throw Exit.usage
        }
    }

    /// Sends the request and returns the reply, OK or ERROR, after printing it raw with --json; exits 2 when
    /// there is no answer, 6 when the answer is not an ADMIN-1 reply.
    func request(_ request: AdminRequest, timeout: Duration = .seconds(5)) async throws -> AdminResponse {
        let endpoint = try location.endpoint()
        do {
            let (response, reply) = try await AdminConnection(endpoint: endpoint).exchange(request, timeout: timeout)
            if json { Output.line(String(decoding: reply.json, as: UTF8.self)) }
            return response
        } catch {
            throw Self.failed(error)
        }
    }

    /// One request to `endpoint`; reports a missing answer and exits 2, a reply that is not ADMIN-1 and exits 6.
    static func request(endpoint: String, _ request: AdminRequest) async throws -> AdminResponse {
        do {
            return try await AdminConnection(endpoint: endpoint).request(request)
        } catch {
            throw failed(error)
        }
    }

    /// Reports why a request got no usable reply; returns the exit code: 6 for a reply that is not ADMIN-1 (what
    /// was wrong is named, the reply is never printed), 2 otherwise (no answer, endpoint unreachable).
    static func failed(_ error: any Error) -> ExitCode {
        Output.error("referralctl: \(error)")
        if case AdminFailure.malformedReply = error { return Exit.malformedReply }
        return Exit.unreachable
    }

    /// An OK reply carrying the result of another command than the one asked (the codec reads a reply as the
    /// request's command, so only a codec fault gets here): reported as a reply that is not ADMIN-1, exit 6.
    static func unexpectedResult(of request: AdminRequest) -> ExitCode {
        Output.error("referralctl: the broker answered \(request.command.rawValue) with the result of another command")
        return Exit.malformedReply
    }

    /// "referralctl: the broker answered CODE: reason" on stderr.
    static func report(_ error: AdminError) {
        Output.error("referralctl: the broker answered \(error.code): \(error.reason)")
    }
}
