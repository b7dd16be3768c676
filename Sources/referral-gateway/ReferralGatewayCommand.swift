import ArgumentParser
import Foundation
import Logging
import ReferralGateway
import ReferralProtocol
import StructuredLogging

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
              GET  /v1/nodes/{node}/cases/{case}        the case as this node may see it
              GET  /v1/nodes/{node}/overdue             this node's overdue items
              GET  /health, /ready, /metrics, /openapi.json

            The configuration file (default referral-gateway.json):

              {
                "listen": "127.0.0.1:9480",
                "applications_file": "gateway-applications.json",
                "nodes": [ { "id": "test-a", "config": "nodes/test-a.json" } ]
              }

            listen               host:port (default 127.0.0.1:9480; port 0: any).
                                 Any address but loopback requires TLS and an
                                 applications file.
            tls_certificate_file, tls_key_file   PEM files: serve HTTPS.
            applications_file    the applications allowed in: {"applications":
                                 [{"name", "token_sha256", "nodes": [...] or
                                 "*", "scopes": ["send", "receive", "read"],
                                 "rate_limit"?}]}. With it, every request but
                                 /health and /openapi.json needs
                                 "Authorization: Bearer TOKEN" of an application
                                 (401), acting for one of its nodes with a scope
                                 it has (403). Make a token and its entry with
                                 `referral-gateway new-token`.
            rate_limit           {"requests_per_second": 200, "burst": 400}: per
                                 application (or for the whole gateway without
                                 applications); over it: 429 with Retry-After.
            max_body_bytes       largest request body (default 1048576): 413.
            inbox_lease_ms       how long a message handed out by the inbox waits
                                 for its completion before it is handed out
                                 again (default 60000).
            nodes                the node identities hosted: "id" (the {node} of
                                 the URLs, equal to the node file's "node") and
                                 "config", a node configuration file; optional
                                 "webhook": {"url", "secret_file" (mode 0600),
                                 "timeout_ms", "backoff_initial_ms",
                                 "backoff_max_ms", "dead_after_ms"}: the node's
                                 inbox messages and receipts are POSTed there,
                                 signed (HMAC-SHA256), until a 2xx
                                 (docs/GATEWAY.md); failing without a break for
                                 dead_after_ms (default 300000) shows as
                                 referral_gateway_webhook_dead 1 in /metrics.
            Relative paths are resolved against the configuration file's folder.
            SIGHUP reads the file and its applications file again (applications,
            rate_limit, max_body_bytes; the rest waits for a restart); a bad file
            keeps the running settings and logs why.

            Example, with a broker and a node file made by `referrald init-dev`:
              referral-gateway --config referral-gateway.json
              curl -s -X POST 'http://127.0.0.1:9480/v1/nodes/test-a/messages?wait=2' \\
                   -H 'Content-Type: application/json' -d @referral.json

            Logs go to stderr, one line per event (--log-format json or text): one
            line per request (method, route, status, duration_ms, node), never a
            body or a token. /metrics is Prometheus text (docs/METRICS.md).

            Exit codes: 0 stopped by SIGTERM/SIGINT, 78 configuration error (the
            message names the file, entry and field), 1 any other failure.
            See docs/GATEWAY.md.
            """,
        version: ProductVersion.string,
        subcommands: [NewTokenCommand.self])

    @Option(help: ArgumentHelp("The gateway's configuration file.", valueName: "FILE"))
    var config = "referral-gateway.json"

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel = "info"

    @Option(help: ArgumentHelp("json (one object a line, for log shippers) or text.", valueName: "FORMAT"))
    var logFormat = "json"

    @Flag(help: "Check the configuration (and every node file it names), print it in short and exit.")
    var checkConfig = false

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        guard ["json", "text"].contains(logFormat) else { throw ValidationError("--log-format must be json or text.") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, level: level, json: json) }
        let logger = Logger(label: "referral-gateway")
        do {
            let (configuration, nodes) = try Gateway.load(path: config)
            let applications = try configuration.readApplications()
            _ = try configuration.readWebhookSecrets()
            if checkConfig {
                print(
                    "\(config): ok: listen \(configuration.listen), nodes \(nodes.map(\.id).joined(separator: ", ")), "
                        + "applications \(applications.map { "\($0.applications.count)" } ?? "none")")
                return
            }
            try await Gateway.run(
                configuration: configuration, nodes: nodes, configurationFile: config, logger: logger
            ) { url in
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
