import ArgumentParser
import Broker
import BrokerHTTP
import Foundation
import Logging
import ReferralProtocol
import ServiceLifecycle
import StructuredLogging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the broker in the foreground until SIGTERM or SIGINT.",
        discussion: """
            Settings come from, strongest first: these flags, the environment, the JSON file, the defaults.
            Environment: \(BrokerConfiguration.environmentKeys.map(\.variable).joined(separator: ", ")).
            The file format is documented in deploy/README.md (example: deploy/referrald.example.json).
            The store: SQLite in data_directory, unless store.backend is postgresql (the keys store.postgresql.*
            and store.lease.*; the password from store.postgresql.password_file, mode 0600, or
            REFERRALD_PG_PASSWORD, never from the file). On postgresql several instances share the store: each
            starts as a standby (answering nodes NOT_ACTIVE) and becomes active when it holds the lease
            (docs/FAILOVER.md); one that loses the lease exits 75 and, started again, waits as a standby.

            Examples:
              referrald run --config data/dev/referrald.json
              REFERRALD_LOG_LEVEL=debug referrald run --config /etc/referrald/referrald.json
              referrald run --config cfg.json --endpoint tcp://127.0.0.1:0 --ready-file /tmp/ready.json

            HTTP (http.listen, default 127.0.0.1:9470; --http-listen off for none): GET /health (200 while
            serving), GET /ready (200 once the store is open and the sockets bound, 503 while starting
            and from SIGTERM on), GET /metrics (Prometheus text, docs/METRICS.md). Any address but
            loopback needs http.tls_certificate_file, http.tls_key_file and http.token_file (then every
            path but /health needs "Authorization: Bearer <token>").

            On SIGTERM the commit in progress finishes, every node gets BYE, and the exit code is 0.
            Nothing is created before the configuration and every file it names are valid.

            Exit codes (deploy/README.md; each message names the file and the fix):
            \(ExitStatus.table)
            """)

    @Option(help: "The broker's JSON configuration file.")
    var config: String

    @Option(help: "Nodes' endpoint, e.g. tcp://127.0.0.1:5570 (port 0 or * picks a free port).")
    var endpoint: String?

    @Option(help: "Operators' admin endpoint (ipc://PATH).")
    var adminEndpoint: String?

    @Option(help: "Folder of the broker's store.")
    var dataDirectory: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(help: "json or text.")
    var logFormat: String?

    @Option(help: "Application heartbeat interval in milliseconds.")
    var heartbeatMs: Int?

    @Option(help: "Redeliver an unacknowledged DELIVER after this many milliseconds.")
    var ackTimeoutMs: Int?

    @Option(help: "Write {endpoint, admin, pid} as JSON to this file once listening.")
    var readyFile: String?

    @Option(help: "HTTP listener for /health, /ready, /metrics: host:port (port 0 picks one), or off.")
    var httpListen: String?

    @Flag(help: "DEVELOPMENT ONLY: no CURVE; a node is who its HELLO says. Never in production.")
    var insecurePlaintextDev = false

    func run() async throws {
        let configuration = try exitingOnConfigurationError(resolve)
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let json = configuration.logFormat == "json"
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, level: level, json: json) }
        let logger = Logger(label: "referrald")
        do {
            try await serve(configuration, logger: logger)
        } catch {
            let status = ExitStatus(startFailure: error)
            logger.critical("cannot start", metadata: ["error": "\(error)", "exit_code": "\(status.rawValue)"])
            throw ExitCode(status.rawValue)
        }
    }

    /// The HTTP listener first (so /health answers and /ready says no while the store opens), then the broker. On
    /// SIGTERM the group stops the broker first (/ready answers 503 from the first moment of the drain) and the
    /// listener last.
    private func serve(_ configuration: BrokerConfiguration, logger: Logger) async throws {
        let metrics = BrokerMetrics(storePath: configuration.storePath, dataDirectory: configuration.dataDirectory)
        let engine = try BrokerEngine(
            configuration: configuration, logger: logger,
            storeMetrics: StoreMetrics(factory: configuration.http.isEnabled ? metrics.factory : nil))
        var services: [(name: String, service: any Service)] = []
        var beforeStart: @Sendable () async throws -> Void = {}
        if configuration.http.isEnabled {
            let http = try BrokerHTTPServer(
                settings: configuration.http, queries: engine.queries, readiness: engine.readiness, metrics: metrics,
                logger: logger, storeRole: { engine.storeRole })
            services.append(("http-listener", try http.makeService()))
            let readiness = engine.readiness
            beforeStart = {
                // The store is not opened before the listener is bound (or failed: then the group stops anyway).
                guard let address = await http.boundAddress.wait() else { throw CancellationError() }
                readiness.httpAddress = address
            }
        }
        services.append(("broker", BrokerService(engine: engine, beforeStart: beforeStart)))
        let group = ServiceGroup(
            configuration: .init(
                // Named: the group logs a service's name, and a listener's description must never show the token.
                services: services.map {
                    .init(
                        service: $0.service, successTerminationBehavior: .gracefullyShutdownGroup,
                        serviceName: $0.name)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    func resolve() throws -> BrokerConfiguration {
        var configuration = try BrokerConfiguration.load(file: config)
        try configuration.applyEnvironment(ProcessInfo.processInfo.environment)
        let flags: [(String, String?)] = [
            ("endpoint", endpoint), ("admin_endpoint", adminEndpoint), ("data_directory", dataDirectory),
            ("log_level", logLevel), ("log_format", logFormat), ("heartbeat_ms", heartbeatMs.map(String.init)),
            ("ack_timeout_ms", ackTimeoutMs.map(String.init)), ("ready_file", readyFile),
            ("insecure_plaintext", insecurePlaintextDev ? "true" : nil), ("http_listen", httpListen),
        ]
        for (key, value) in flags {
            if let value {
                try configuration.set(
                    key, to: value, source: "command line --\(key.replacingOccurrences(of: "_", with: "-"))")
            }
        }
        if configuration.endpoint.hasSuffix(":0") {
            configuration.endpoint = String(configuration.endpoint.dropLast()) + "*"
        }
        try configuration.validate(source: config)
        return configuration
    }
}

struct InitDevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-dev",
        abstract: "Write the development setup: a broker configuration and demo node configurations (made-up).")

    @Option(help: "Folder to write into (created).")
    var directory = "data/dev"

    @Option(help: "Nodes' endpoint for the demo.")
    var endpoint = "tcp://127.0.0.1:5570"

    func run() throws {
        try DevSetup.write(directory: directory, endpoint: endpoint)
        print("wrote \(directory)/referrald.json and \(directory)/nodes/*.json")
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file and print what is wrong, if anything.")

    @Option(help: "The broker's JSON configuration file.")
    var config: String

    func run() throws {
        try exitingOnConfigurationError {
            let configuration = try BrokerConfiguration.fileAndEnvironment(config)
            let loaded = try configuration.checkFiles()
            print(
                "\(config): ok (directory \(configuration.directoryFile): \(loaded); endpoint \(configuration.endpoint))"
            )
        }
    }
}

extension BrokerConfiguration {
    /// The configuration file with the environment over it, validated (what commands without flags use).
    static func fileAndEnvironment(_ file: String) throws -> BrokerConfiguration {
        var configuration = try BrokerConfiguration.load(file: file)
        try configuration.applyEnvironment(ProcessInfo.processInfo.environment)
        try configuration.validate(source: file)
        return configuration
    }
}

/// Runs `body`; a `ConfigurationError` is printed (file, setting, entry, key and problem) and exits with the
/// configuration code (78).
func exitingOnConfigurationError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ConfigurationError {
        FileHandle.standardError.write(Data("referrald: configuration error: \(error)\n".utf8))
        throw ExitCode(ExitStatus.configuration.rawValue)
    }
}

struct AcceptRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept-rollback",
        abstract: "Start over from a store that holds less than it acknowledged, recording the loss.",
        discussion: """
            Only after deploy/README.md, "Store recovery": when referrald refuses its store with exit code \
            \(ExitStatus.storeRolledBack.rawValue) and the missing files cannot be restored. With the broker stopped, \
            this raises the message counter past every seq given before (no seq is reused), gives the store a \
            new epoch, appends a `store-rolled-back` audit record saying what was lost, and rewrites the \
            high-water mark. Messages acknowledged after the store's last checkpoint are gone from the broker; \
            nodes see the new epoch in WELCOME and send again every accepted message they hold without all its \
            receipts (1/RBP §12.8). Only messages sent by nodes of an older version must be asked for again.
            """)

    @Option(help: "The broker's JSON configuration file.")
    var config: String

    func run() throws {
        let configuration = try exitingOnConfigurationError { try BrokerConfiguration.fileAndEnvironment(config) }
        do {
            let lost = try acceptStoreRollback(configuration)
            print(lost.map { "accepted: \($0)" } ?? "nothing to accept: the store holds all it acknowledged")
        } catch {
            FileHandle.standardError.write(Data("referrald: \(error)\n".utf8))
            throw ExitCode(ExitStatus(startFailure: error).rawValue)
        }
    }
}

struct PrintConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-config",
        abstract: "Print the configuration in force (file, environment, flags, defaults) as JSON, secrets redacted.",
        discussion: """
            Takes the flags of `referrald run` and resolves them as `run` would: the flags over the environment \
            over the file over the defaults, relative paths made absolute. The output is itself a valid \
            referrald.json (every member, defaults included). It never holds a secret: key and token files are \
            named by their paths, never read into it, and a member named like a secret is printed as \
            "<redacted>". The files the configuration names are not loaded: `referrald check-config` checks them.

            Examples:
              referrald print-config --config /etc/referrald/referrald.json
              REFERRALD_LOG_LEVEL=debug referrald print-config --config cfg.json --endpoint tcp://0.0.0.0:5570
            """)

    /// The flags of `referrald run`, resolved by the same code.
    @OptionGroup var options: RunCommand

    func run() throws {
        let configuration = try exitingOnConfigurationError(options.resolve)
        print(PrettyJSON.text(configuration.effectiveJSON))
    }
}
