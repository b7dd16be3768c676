import Foundation
import ReferralProtocol

/// `referral-gateway.json`: where the gateway listens, which nodes it hosts, its limits.
///
/// ```json
/// {
///   "listen": "127.0.0.1:9480",
///   "applications_file": "gateway-applications.json",
///   "nodes": [ { "id": "test-a", "config": "nodes/test-a.json" } ]
/// }
/// ```
///
/// Relative paths are resolved against the file's directory. Errors are `ConfigurationError`s naming the file,
/// the entry (`nodes[1]`) and the key; unknown keys are refused.
public struct GatewayConfiguration: Sendable, Hashable {
    /// `host:port` (`[v6]:port`); port 0 picks a free one (printed at start).
    public var listen = "127.0.0.1:9480"
    public var tlsCertificateFile = ""
    public var tlsKeyFile = ""
    /// The applications file (`GatewayApplications`): each application's token (hashed), nodes and scopes; every
    /// request but /health and /openapi.json must carry such a token when it is set. Required off loopback.
    public var applicationsFile = ""
    /// The request rate of each application (unless it has its own), or of the whole gateway without applications.
    public var rateLimit = RateLimit.default
    /// The largest request body accepted; a larger one is answered 413 and never read further.
    public var maxBodyBytes = 1_048_576
    /// How long an inbox message handed out stays with its taker before it is handed out again.
    public var inboxLeaseMs = 60_000
    public var nodes: [HostedNode] = []

    /// One hosted node identity: the name in the URL and its node configuration file (`referralctl --config`).
    public struct HostedNode: Sendable, Hashable {
        public var id: String
        public var config: String
        /// Where the gateway POSTs this node's inbox messages and receipts instead of handing them to the inbox
        /// long-poll; nil: none (the agency polls).
        public var webhook: Webhook?
        public init(id: String, config: String, webhook: Webhook? = nil) {
            self.id = id
            self.config = config
            self.webhook = webhook
        }
    }

    /// A node's `webhook` block: `{"url": ..., "secret_file": ..., "timeout_ms": 10000, "backoff_initial_ms": 1000,
    /// "backoff_max_ms": 300000}`. The secret is read at start (`readSecret`), never logged.
    public struct Webhook: Sendable, Hashable {
        public var url: String
        public var secretFile: String
        /// How long one POST may take (connect, send, answer) before it counts as failed.
        public var timeoutMs = 10_000
        public var backoffInitialMs = 1_000
        public var backoffMaxMs = 300_000
        /// How long the webhook may fail without a break (no 2xx) before `/metrics` calls it dead
        /// (`referral_gateway_webhook_dead`).
        public var deadAfterMs = 300_000

        public init(url: String, secretFile: String) {
            self.url = url
            self.secretFile = secretFile
        }

        public var backoff: WebhookBackoff {
            WebhookBackoff(initialMs: Int64(backoffInitialMs), maxMs: Int64(backoffMaxMs))
        }

        /// The HMAC key of `secret_file` (its first line, at least 16 octets). Refuses a file its group or others
        /// can read: mode 0600 (or 0400). The secret is never logged or printed.
        public func readSecret(entry: String) throws(ConfigurationError) -> [UInt8] {
            func fail(_ problem: String) -> ConfigurationError {
                ConfigurationError(file: secretFile, setting: "\(entry).webhook.secret_file", reason: problem)
            }
            var info = stat()
            guard stat(secretFile, &info) == 0 else {
                throw fail("cannot be opened (\(String(cString: strerror(errno))))")
            }
            guard info.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
            let mode = Int(info.st_mode) & 0o777
            guard mode & 0o077 == 0 else {
                throw fail("can be read by others (mode \(String(mode, radix: 8))): chmod 600 \(secretFile)")
            }
            guard let data = FileManager.default.contents(atPath: secretFile) else { throw fail("cannot be read") }
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first ?? ""
            let secret = line.trimmingCharacters(in: .whitespaces)
            guard secret.utf8.count >= 16, !secret.contains(where: \.isWhitespace) else {
                throw fail("must hold a secret of at least 16 characters without spaces on its first line")
            }
            return Array(secret.utf8)
        }
    }

    public init() {}

    public var usesTLS: Bool { !tlsCertificateFile.isEmpty }

    enum Key: String {
        case listen, nodes, id, config, webhook, url
        case secretFile = "secret_file"
        case timeoutMs = "timeout_ms"
        case backoffInitialMs = "backoff_initial_ms"
        case backoffMaxMs = "backoff_max_ms"
        case deadAfterMs = "dead_after_ms"
        case tlsCertificateFile = "tls_certificate_file"
        case tlsKeyFile = "tls_key_file"
        case tokenFile = "token_file"
        case applicationsFile = "applications_file"
        case rateLimit = "rate_limit"
        case maxBodyBytes = "max_body_bytes"
        case inboxLeaseMs = "inbox_lease_ms"
    }

    /// Reads and checks the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> GatewayConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(file: path, reason: "cannot read the file")
        }
        return try parse(Array(data), file: path)
    }

    static func parse(_ bytes: [UInt8], file: String) throws(ConfigurationError) -> GatewayConfiguration {
        var reader = try JSONObjectReader(try JSONFile.parse(bytes, file: file), file: file)
        var configuration = GatewayConfiguration()
        configuration.listen = try reader.optionalString(Key.listen.rawValue) ?? configuration.listen
        configuration.tlsCertificateFile = try reader.optionalString(Key.tlsCertificateFile.rawValue) ?? ""
        configuration.tlsKeyFile = try reader.optionalString(Key.tlsKeyFile.rawValue) ?? ""
        if reader.value(Key.tokenFile.rawValue) != nil {
            throw reader.error(
                Key.tokenFile.rawValue,
                "is no longer read: tokens are now per application, hashed, in applications_file (make one with "
                    + "`referral-gateway new-token --name NAME --node NODE --scope send`; docs/GATEWAY.md, Security)")
        }
        configuration.applicationsFile = try reader.optionalString(Key.applicationsFile.rawValue) ?? ""
        if var block = try reader.optionalReader(Key.rateLimit.rawValue) {
            configuration.rateLimit = try RateLimit.parse(&block)
        }
        configuration.maxBodyBytes = try reader.optionalInteger(Key.maxBodyBytes.rawValue) ?? configuration.maxBodyBytes
        configuration.inboxLeaseMs = try reader.optionalInteger(Key.inboxLeaseMs.rawValue) ?? configuration.inboxLeaseMs
        let items = try reader.array(Key.nodes.rawValue)
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.isEmpty || path.hasPrefix("/") ? path : directory.appendingPathComponent(path).standardizedFileURL.path
        }
        for (index, item) in items.enumerated() {
            var node = try JSONObjectReader(item, file: file, entry: "nodes[\(index)]")
            let id = try node.string(Key.id.rawValue)
            guard Identifiers.isValidNodeId(id) else {
                throw node.error(Key.id.rawValue, "must be a node id (1-64 of a-z 0-9 . _ -), got '\(id)'")
            }
            guard !configuration.nodes.contains(where: { $0.id == id }) else {
                throw node.error(Key.id.rawValue, "'\(id)' is hosted twice")
            }
            let config = try node.string(Key.config.rawValue)
            var webhook: Webhook?
            if var block = try node.optionalReader(Key.webhook.rawValue) {
                var parsed = try parseWebhook(&block)
                parsed.secretFile = resolve(parsed.secretFile)
                webhook = parsed
            }
            try node.refuseUnknownKeys()
            configuration.nodes.append(HostedNode(id: id, config: resolve(config), webhook: webhook))
        }
        try reader.refuseUnknownKeys()
        configuration.tlsCertificateFile = resolve(configuration.tlsCertificateFile)
        configuration.tlsKeyFile = resolve(configuration.tlsKeyFile)
        configuration.applicationsFile = resolve(configuration.applicationsFile)
        try configuration.validate(file: file)
        return configuration
    }

    /// A node's `webhook` block; errors name the entry and `webhook.KEY`.
    static func parseWebhook(_ block: inout JSONObjectReader) throws(ConfigurationError) -> Webhook {
        let url = try block.string(Key.url.rawValue)
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.utf8.count > 8,
            !url.contains(where: \.isWhitespace), URL(string: url)?.host != nil
        else {
            throw block.error(Key.url.rawValue, "must be an http:// or https:// URL with a host, got '\(url)'")
        }
        var webhook = Webhook(url: url, secretFile: try block.string(Key.secretFile.rawValue))
        guard !webhook.secretFile.isEmpty else { throw block.error(Key.secretFile.rawValue, "must name a file") }
        func milliseconds(_ key: Key, _ value: Int, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            let value = try block.optionalInteger(key.rawValue) ?? value
            guard range.contains(value) else {
                throw block.error(
                    key.rawValue, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
            return value
        }
        webhook.timeoutMs = try milliseconds(.timeoutMs, webhook.timeoutMs, 100...600_000)
        webhook.backoffInitialMs = try milliseconds(.backoffInitialMs, webhook.backoffInitialMs, 10...3_600_000)
        webhook.backoffMaxMs = try milliseconds(.backoffMaxMs, webhook.backoffMaxMs, 10...86_400_000)
        webhook.deadAfterMs = try milliseconds(.deadAfterMs, webhook.deadAfterMs, 1_000...604_800_000)
        guard webhook.backoffMaxMs >= webhook.backoffInitialMs else {
            throw block.error(
                Key.backoffMaxMs.rawValue,
                "must be at least backoff_initial_ms (\(webhook.backoffInitialMs)), got \(webhook.backoffMaxMs)")
        }
        try block.refuseUnknownKeys()
        return webhook
    }

    /// The checks across keys: an address, at least one node, sane limits, and TLS plus applications off loopback.
    func validate(file: String) throws(ConfigurationError) {
        func fail(_ field: String, _ reason: String) -> ConfigurationError {
            ConfigurationError(file: file, field: field, reason: reason)
        }
        guard let address = address() else {
            throw fail("listen", "must be host:port (e.g. 127.0.0.1:9480, [::1]:9480), got '\(listen)'")
        }
        guard !nodes.isEmpty else {
            throw fail("nodes", "must name at least one node ({\"id\": ..., \"config\": ...})")
        }
        guard (1_024...67_108_864).contains(maxBodyBytes) else {
            throw fail("max_body_bytes", "must be between 1024 and 67108864, got \(maxBodyBytes)")
        }
        guard (1_000...86_400_000).contains(inboxLeaseMs) else {
            throw fail("inbox_lease_ms", "must be between 1000 and 86400000, got \(inboxLeaseMs)")
        }
        if tlsCertificateFile.isEmpty != tlsKeyFile.isEmpty {
            throw fail(
                tlsCertificateFile.isEmpty ? "tls_certificate_file" : "tls_key_file",
                "is required with \(tlsCertificateFile.isEmpty ? "tls_key_file" : "tls_certificate_file")")
        }
        guard !Self.isLoopback(address.host) else { return }
        let why =
            "is required when listen is not a loopback address (\(listen)): a gateway other machines reach needs TLS "
            + "and per-application bearer tokens (or listen on 127.0.0.1)"
        if tlsCertificateFile.isEmpty { throw fail("tls_certificate_file", why) }
        if applicationsFile.isEmpty { throw fail("applications_file", why) }
    }

    /// The host and port of `listen`; nil when it is not `host:port`.
    public func address() -> (host: String, port: Int)? {
        var host: Substring
        let portText: Substring
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]"), listen[listen.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = listen[listen.index(after: listen.startIndex)..<close]
            portText = listen[listen.index(close, offsetBy: 2)...]
        } else {
            guard let colon = listen.lastIndex(of: ":") else { return nil }
            host = listen[..<colon]
            portText = listen[listen.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { return nil }
        if host == "*" { host = "0.0.0.0" }
        return (String(host), port)
    }

    /// Whether `host` only reaches this machine: 127.0.0.0/8, ::1 or localhost.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The secret of every node's webhook, by node id (`Webhook.readSecret`).
    public func readWebhookSecrets() throws(ConfigurationError) -> [String: [UInt8]] {
        var secrets: [String: [UInt8]] = [:]
        for (index, node) in nodes.enumerated() {
            guard let webhook = node.webhook else { continue }
            secrets[node.id] = try webhook.readSecret(entry: "nodes[\(index)]")
        }
        return secrets
    }
}
