import Foundation
import ReferralProtocol

/// `referral-gateway.json`: where the gateway listens, which nodes it hosts, its limits.
///
/// ```json
/// {
///   "listen": "127.0.0.1:9480",
///   "token_file": "gateway.tokens",
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
    /// A file of bearer tokens, one a line (`#` comments); every request but /health and /openapi.json must carry
    /// one when it is set. Required off loopback.
    public var tokenFile = ""
    /// The largest request body accepted; a larger one is answered 413 and never read further.
    public var maxBodyBytes = 1_048_576
    /// How long an inbox message handed out stays with its taker before it is handed out again.
    public var inboxLeaseMs = 60_000
    public var nodes: [HostedNode] = []

    /// One hosted node identity: the name in the URL and its node configuration file (`referralctl --config`).
    public struct HostedNode: Sendable, Hashable {
        public var id: String
        public var config: String
        public init(id: String, config: String) {
            self.id = id
            self.config = config
        }
    }

    public init() {}

    public var usesTLS: Bool { !tlsCertificateFile.isEmpty }

    enum Key: String {
        case listen, nodes, id, config
        case tlsCertificateFile = "tls_certificate_file"
        case tlsKeyFile = "tls_key_file"
        case tokenFile = "token_file"
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
        configuration.tokenFile = try reader.optionalString(Key.tokenFile.rawValue) ?? ""
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
            try node.refuseUnknownKeys()
            configuration.nodes.append(HostedNode(id: id, config: resolve(config)))
        }
        try reader.refuseUnknownKeys()
        configuration.tlsCertificateFile = resolve(configuration.tlsCertificateFile)
        configuration.tlsKeyFile = resolve(configuration.tlsKeyFile)
        configuration.tokenFile = resolve(configuration.tokenFile)
        try configuration.validate(file: file)
        return configuration
    }

    /// The checks across keys: an address, at least one node, sane limits, and TLS plus tokens off loopback.
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
            + "and bearer tokens (or listen on 127.0.0.1)"
        if tlsCertificateFile.isEmpty { throw fail("tls_certificate_file", why) }
        if tokenFile.isEmpty { throw fail("token_file", why) }
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

    /// The tokens of `token_file` (none without one). Refuses a file others can read, or one without a token of
    /// at least 16 characters. Tokens are never logged or printed.
    public func readTokens() throws(ConfigurationError) -> [[UInt8]] {
        guard !tokenFile.isEmpty else { return [] }
        func fail(_ problem: String) -> ConfigurationError {
            ConfigurationError(file: tokenFile, setting: "token_file", reason: problem)
        }
        var info = stat()
        guard stat(tokenFile, &info) == 0 else { throw fail("cannot be opened (\(String(cString: strerror(errno))))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o007 == 0 else {
            throw fail("can be read by others (mode \(String(mode, radix: 8))): chmod 600 \(tokenFile)")
        }
        guard let data = FileManager.default.contents(atPath: tokenFile) else { throw fail("cannot be read") }
        var tokens: [[UInt8]] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            guard text.utf8.count >= 16, !text.contains(where: \.isWhitespace) else {
                throw fail("line \(index + 1): a token must be at least 16 characters without spaces")
            }
            tokens.append(Array(text.utf8))
        }
        guard !tokens.isEmpty else { throw fail("holds no token") }
        return tokens
    }
}
