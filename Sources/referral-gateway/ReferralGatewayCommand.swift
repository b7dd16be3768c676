import ArgumentParser
import Foundation
import Logging
import ReferralGateway
import ReferralProtocol

/// `referral-gateway`: the node gateway (issue 11). Everything testable lives in the ReferralGateway module.
@main
struct ReferralGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral-gateway",
        abstract: "Join the referral broker over HTTP/JSON: one or more nodes toward the broker, an HTTP API toward "
            + "the agency's systems.",
        discussion: """
            The gateway runs next to an agency system (same host or LAN). For each
            node it hosts it keeps the node's durable outbox, inbox and receipts in
            the node's own SQLite store and talks 1/RBP (CURVE) to the broker,
            exactly as `referralctl send --config NODE.json` would. The agency's
            systems talk HTTP/JSON to it (protocols/GATEWAY-1.openapi.json, also
            served at /openapi.json):

              POST /v1/nodes/{node}/messages?wait=2     send (idempotent by "id")
              GET  /v1/nodes/{node}/messages/{id}       status and receipts
              GET  /v1/nodes/{node}/inbox?wait=25&max=10  long-poll the inbox
              POST /v1/nodes/{node}/inbox/{handle}/complete  done with a message
              GET  /v1/nodes/{node}/events              status changes and receipts (SSE)
              GET  /health, /ready, /openapi.json

            The configuration file (default referral-gateway.json):

              {
                "listen": "127.0.0.1:9480",
                "token_file": "gateway.tokens",
                "nodes": [ { "id": "test-a", "config": "nodes/test-a.json" } ]
              }

            listen               host:port (default 127.0.0.1:9480; port 0: any).
                                 Any address but loopback requires TLS and tokens.
            tls_certificate_file, tls_key_file   PEM files: serve HTTPS.
            token_file           bearer tokens, one a line, mode 0600; with it,
                                 every request but /health and /openapi.json
                                 needs "Authorization: Bearer TOKEN".
            max_body_bytes       largest request body (default 1048576): 413.
            inbox_lease_ms       how long a message handed out by the inbox waits
                                 for its completion before it is handed out
                                 again (default 60000).
            nodes                the node identities hosted: "id" (the {node} of
                                 the URLs, equal to the node file's "node") and
                                 "config", a node configuration file; optional
                                 "webhook": {"url", "secret_file" (mode 0600),
                                 "timeout_ms", "backoff_initial_ms",
                                 "backoff_max_ms"}: the node's inbox messages
                                 and receipts are POSTed there, signed
                                 (HMAC-SHA256), until a 2xx (docs/GATEWAY.md).
            Relative paths are resolved against the configuration file's folder.

            Example, with a broker and a node file made by `referrald init-dev`:
              referral-gateway --config referral-gateway.json
              curl -s -X POST 'http://127.0.0.1:9480/v1/nodes/test-a/messages?wait=2' \\
                   -H 'Content-Type: application/json' -d @referral.json

            Exit codes: 0 stopped by SIGTERM/SIGINT, 78 configuration error (the
            message names the file, entry and field), 1 any other failure.
            See docs/GATEWAY.md.
            """,
        version: ProductVersion.string)

    @Option(help: ArgumentHelp("The gateway's configuration file.", valueName: "FILE"))
    var config = "referral-gateway.json"

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel = "info"

    @Flag(help: "Check the configuration (and every node file it names), print it in short and exit.")
    var checkConfig = false

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "referral-gateway")
        do {
            let (configuration, nodes) = try Gateway.load(path: config)
            _ = try configuration.readTokens()
            _ = try configuration.readWebhookSecrets()
            if checkConfig {
                print("\(config): ok: listen \(configuration.listen), nodes \(nodes.map(\.id).joined(separator: ", "))")
                return
            }
            try await Gateway.run(configuration: configuration, nodes: nodes, logger: logger) { url in
                // One line a supervisor or a test can read: where the API is.
                FileHandle.standardError.write(Data("referral-gateway: listening on \(url)\n".utf8))
            }
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("referral-gateway: \(error)\n".utf8))
            throw ExitCode(78)
        } catch {
            FileHandle.standardError.write(Data("referral-gateway: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
