import Foundation
import ReferralProtocol
import ZeroMQ

/// The configuration of one node: who it is, where the broker is, where its local store lives.
///
/// One JSON file per node. Example:
///
/// ```json
/// {
///   "node": "test-a",
///   "broker": "tcp://127.0.0.1:5570",
///   "store": "test-a.sqlite",
///   "window": 64,
///   "reconnect_initial_ms": 1000,
///   "reconnect_max_ms": 32000
/// }
/// ```
///
/// | field | required | default | meaning |
/// | --- | --- | --- | --- |
/// | `node` | yes | | the node id the broker's directory knows (1/RBP node-id: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit) |
/// | `broker` | yes | | the broker's 1/RBP endpoint, e.g. `tcp://127.0.0.1:5570` (`tcp://`, `ipc://` or `inproc://`); or a list of 1–8 endpoints of one broker run as several instances (below) |
/// | `store` | yes | | path of the node's local SQLite file (outbox, inbox, receipts); a relative path is resolved against the directory of the configuration file; its directory is created if missing |
/// | `window` | no | 64 | deliveries the node accepts unacknowledged (asked in HELLO), 1–1024; also the most SENDs it keeps unanswered |
/// | `reconnect_initial_ms` | no | 1000 | first wait before reconnecting after the session is lost; doubles after each failed try |
/// | `reconnect_max_ms` | no | 32000 | the longest wait between reconnects (at least `reconnect_initial_ms`) |
/// | `heartbeat_ms` | no | the broker's | override of the heartbeat interval granted in WELCOME (PING after this much own silence; the broker is dead after liveness × this much silence plus the transfer allowance of 1/RBP §11.1) |
/// | `welcome_timeout_ms` | no | 3000 | how long to wait for WELCOME after HELLO before reconnecting |
/// | `server_public_key` | with the next two | | the broker's CURVE public key, 40 characters of Z85 (the broker's `.pub` file) |
/// | `public_key` | with the others | | this node's CURVE public key (Z85), as registered in the broker's directory; must be the public key of the secret in `secret_key_file` |
/// | `secret_key_file` | with the others | | path of this node's secret key file (`referralctl keygen --out PREFIX` writes `PREFIX.key`); a relative path is resolved against the directory of the configuration file; the file must hold the 40-character Z85 secret key (optionally followed by a newline) and must not be readable or writable by group or others (mode 0600, else `chmod 600 FILE`) |
///
/// **CURVE.** The three CURVE fields come together: give all of them (the node then connects with ZeroMQ CURVE,
/// authenticated by its key, on every connection and reconnection) or none of them (the node connects in plain
/// text, which only a broker started with its explicit development flag accepts). One of them without the others
/// is an error naming the missing field. With the keys, a CURVE node's configuration looks like:
///
/// ```json
/// {
///   "node": "test-a",
///   "broker": "tcp://broker.example.internal:5570",
///   "store": "test-a.sqlite",
///   "server_public_key": "<40 characters of Z85 from the broker's .pub file>",
///   "public_key": "<40 characters of Z85 from test-a.pub>",
///   "secret_key_file": "keys/test-a.key"
/// }
/// ```
///
/// **Several broker endpoints.** A broker run as several instances (one active, the others standbys, sharing one
/// store and one key pair) is given as a list, `"broker": ["tcp://broker-a:5570", "tcp://broker-b:5570"]`, with
/// one `server_public_key` for all. The node connects to one endpoint at a time, in order; it moves to the next
/// 250 ms after a standby answers NOT_ACTIVE, a refused connection or handshake, no WELCOME in time or a silent
/// broker, waits the reconnect backoff only after a whole round without WELCOME, and stays on the endpoint that
/// sent WELCOME (1/RBP §11.4). An empty list, more than 8, a repeated endpoint or a bad one is an error naming
/// the field (`broker`, or `broker[i]` for entry i).
///
/// `load(path:)` reads the secret key file at once (refusing one that group or others may read or write) and
/// checks that `public_key` is its public key; the keys are then in `curve`. A configuration built in code may
/// set `curve` directly instead of the three fields. Errors never contain key material.
///
/// Unknown fields are refused (a misspelt field must not be silently ignored).
/// Only one process at a time may use a node id and its store.
public struct NodeConfiguration: Sendable, Hashable {
    /// The node id (1/RBP node-id).
    public var node: String
    /// The broker's 1/RBP endpoints, in the order the node tries them: one, or those of a broker's instances (one
    /// active, the others standbys; 1/RBP §11.4), 1 to `maximumEndpoints`.
    public var endpoints: [String]
    /// The broker's 1/RBP endpoint: the first of `endpoints`; setting it makes it the only one.
    public var broker: String {
        get { endpoints.first ?? "" }
        set { endpoints = [newValue] }
    }
    /// Path of the local SQLite store (absolute after `load(path:)`).
    public var store: String
    /// Deliveries accepted unacknowledged, asked in HELLO; also the cap on unanswered SENDs.
    public var window: Int
    /// Reconnect backoff: first wait, doubling up to `reconnectMaxMs`.
    public var reconnectInitialMs: Int
    public var reconnectMaxMs: Int
    /// Overrides WELCOME's `heartbeat_ms` on this side when set.
    public var heartbeatMs: Int?
    /// How long to wait for WELCOME after HELLO.
    public var welcomeTimeoutMs: Int
    /// CURVE: the broker's public key (Z85), as in the file; nil without CURVE.
    public var serverPublicKey: String?
    /// CURVE: this node's public key (Z85), as in the file; nil without CURVE.
    public var publicKey: String?
    /// CURVE: path of this node's secret key file (absolute after `load(path:)`); nil without CURVE.
    public var secretKeyFile: String?
    /// The CURVE keys the node connects with; nil connects in plain text (development brokers only).
    /// Set by `load(path:)` from the three fields above, or directly by code; `ReferralNode` reads the key file
    /// itself when only the fields are set.
    public var curve: CurveClientKeys?

    public static let defaultWindow = 64
    public static let maximumWindow = 1024
    /// The most endpoints a node may list for its broker (one per instance).
    public static let maximumEndpoints = 8

    /// A node of a broker at one endpoint.
    public init(
        node: String, broker: String, store: String, window: Int = NodeConfiguration.defaultWindow,
        reconnectInitialMs: Int = 1000, reconnectMaxMs: Int = 32000, heartbeatMs: Int? = nil,
        welcomeTimeoutMs: Int = 3_000, serverPublicKey: String? = nil, publicKey: String? = nil,
        secretKeyFile: String? = nil, curve: CurveClientKeys? = nil
    ) {
        self.init(
            node: node, endpoints: [broker], store: store, window: window, reconnectInitialMs: reconnectInitialMs,
            reconnectMaxMs: reconnectMaxMs, heartbeatMs: heartbeatMs, welcomeTimeoutMs: welcomeTimeoutMs,
            serverPublicKey: serverPublicKey, publicKey: publicKey, secretKeyFile: secretKeyFile, curve: curve)
    }

    /// A node of a broker run as several instances, at `endpoints` in the order to try them (1/RBP §11.4).
    public init(
        node: String, endpoints: [String], store: String, window: Int = NodeConfiguration.defaultWindow,
        reconnectInitialMs: Int = 1000, reconnectMaxMs: Int = 32000, heartbeatMs: Int? = nil,
        welcomeTimeoutMs: Int = 3_000, serverPublicKey: String? = nil, publicKey: String? = nil,
        secretKeyFile: String? = nil, curve: CurveClientKeys? = nil
    ) {
        self.node = node
        self.endpoints = endpoints
        self.store = store
        self.window = window
        self.reconnectInitialMs = reconnectInitialMs
        self.reconnectMaxMs = reconnectMaxMs
        self.heartbeatMs = heartbeatMs
        self.welcomeTimeoutMs = welcomeTimeoutMs
        self.serverPublicKey = serverPublicKey
        self.publicKey = publicKey
        self.secretKeyFile = secretKeyFile
        self.curve = curve
    }

    /// The keys of the file.
    enum Key: String {
        case node, broker, store, window
        case reconnectInitialMs = "reconnect_initial_ms"
        case reconnectMaxMs = "reconnect_max_ms"
        case heartbeatMs = "heartbeat_ms"
        case welcomeTimeoutMs = "welcome_timeout_ms"
        case serverPublicKey = "server_public_key"
        case publicKey = "public_key"
        case secretKeyFile = "secret_key_file"
    }

    /// Checks every field; throws `ConfigurationError` naming the first bad one (`file` is for the message).
    public func validate(file: String = "<configuration>") throws(ConfigurationError) {
        func fail(_ field: Key, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: file, field: field.rawValue, reason: problem)
        }
        guard Validation.isNodeId(node) else {
            throw fail(.node, "must be a node id: 1-64 characters of a-z 0-9 . _ -, starting with a letter or digit")
        }
        try validateEndpoints(file: file)
        guard !store.isEmpty else { throw fail(.store, "must be the path of the node's SQLite file") }
        guard (1...Self.maximumWindow).contains(window) else {
            throw fail(.window, "must be between 1 and \(Self.maximumWindow)")
        }
        guard (1...3_600_000).contains(reconnectInitialMs) else {
            throw fail(.reconnectInitialMs, "must be between 1 and 3600000 (ms)")
        }
        guard (reconnectInitialMs...3_600_000).contains(reconnectMaxMs) else {
            throw fail(.reconnectMaxMs, "must be between reconnect_initial_ms and 3600000 (ms)")
        }
        if let heartbeatMs, !(1...3_600_000).contains(heartbeatMs) {
            throw fail(.heartbeatMs, "must be between 1 and 3600000 (ms)")
        }
        guard (1...3_600_000).contains(welcomeTimeoutMs) else {
            throw fail(.welcomeTimeoutMs, "must be between 1 and 3600000 (ms)")
        }
        try validateCurveFields(file: file)
    }

    /// `broker`: 1 to `maximumEndpoints` distinct ZeroMQ endpoints; a bad entry of a list is named `broker[i]`.
    private func validateEndpoints(file: String) throws(ConfigurationError) {
        let field = Key.broker.rawValue
        guard (1...Self.maximumEndpoints).contains(endpoints.count) else {
            throw ConfigurationError(
                file: file, field: field,
                reason: "must be the broker's endpoint, or a list of 1 to \(Self.maximumEndpoints) endpoints of its "
                    + "instances (this one has \(endpoints.count))")
        }
        let schemes = ["tcp://", "ipc://", "inproc://"]
        for (index, endpoint) in endpoints.enumerated() {
            let entry = endpoints.count == 1 ? field : "\(field)[\(index)]"
            guard schemes.contains(where: { endpoint.hasPrefix($0) && endpoint.count > $0.count }) else {
                throw ConfigurationError(
                    file: file, field: entry, reason: "must be a ZeroMQ endpoint such as tcp://127.0.0.1:5570")
            }
            if let earlier = endpoints.prefix(index).firstIndex(of: endpoint) {
                throw ConfigurationError(
                    file: file, field: entry, reason: "repeats \(field)[\(earlier)]: list each endpoint once")
            }
        }
    }

    /// The CURVE fields: all or none, keys in Z85, and consistent with `curve` when both are set. Reads no file.
    private func validateCurveFields(file: String) throws(ConfigurationError) {
        func fail(_ field: Key, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: file, field: field.rawValue, reason: problem)
        }
        let fields: [(key: Key, value: String?)] = [
            (.serverPublicKey, serverPublicKey), (.publicKey, publicKey), (.secretKeyFile, secretKeyFile),
        ]
        let given = fields.filter { $0.value != nil }.map { "\"\($0.key.rawValue)\"" }
        guard !given.isEmpty else { return }
        if let missing = fields.first(where: { $0.value == nil }) {
            throw fail(
                missing.key,
                "is required with \(given.joined(separator: " and ")): CURVE needs all three of server_public_key, "
                    + "public_key and secret_key_file (or none of them, for a development broker only)")
        }
        guard let serverText = serverPublicKey, let server = CurveKey(z85: serverText) else {
            throw fail(.serverPublicKey, "must be the broker's CURVE public key: 40 characters of Z85 (its .pub file)")
        }
        guard let ownText = publicKey, let own = CurveKey(z85: ownText) else {
            throw fail(.publicKey, "must be this node's CURVE public key: 40 characters of Z85 (its .pub file)")
        }
        guard server != own else {
            throw fail(.serverPublicKey, "is this node's own public_key; it must be the broker's public key")
        }
        guard let secretKeyFile, !secretKeyFile.isEmpty else {
            throw fail(.secretKeyFile, "must be the path of this node's secret key file (PREFIX.key)")
        }
        if let curve {
            guard curve.serverPublicKey == server else {
                throw fail(.serverPublicKey, "differs from the broker key in the configuration's CURVE keys")
            }
            guard curve.publicKey == own else {
                throw fail(.publicKey, "differs from the public key in the configuration's CURVE keys")
            }
        }
    }

    /// The CURVE keys this configuration connects with: `curve` if set, else the keys of the three CURVE fields
    /// with the secret read from `secret_key_file` (refused if group or others may read or write it) and checked
    /// against `public_key`; nil when the node uses no CURVE. Errors are `ConfigurationError`s naming the field.
    public func loadCurveKeys(file: String = "<configuration>") throws -> CurveClientKeys? {
        try validateCurveFields(file: file)
        if let curve { return curve }
        guard let serverText = serverPublicKey, let ownText = publicKey, let secretKeyFile,
            let server = CurveKey(z85: serverText), let own = CurveKey(z85: ownText)
        else { return nil }
        let secret: CurveKey
        do {
            secret = try KeyFiles.readSecret(path: secretKeyFile)
        } catch let error as KeyFileError {
            throw ConfigurationError(
                file: file, field: Key.secretKeyFile.rawValue,
                reason: "points to \(error.path), which \(error.problem)")
        }
        let keys: CurveClientKeys
        do {
            keys = try CurveClientKeys(serverPublicKey: server, secretKey: secret)
        } catch {
            throw ConfigurationError(
                file: file, field: Key.secretKeyFile.rawValue,
                reason: "\(secretKeyFile): does not hold a usable CURVE secret key")
        }
        guard keys.publicKey == own else {
            throw ConfigurationError(
                file: file, field: Key.publicKey.rawValue,
                reason: "is not the public key of the secret key in \(secretKeyFile) (that one is "
                    + "\(keys.publicKey.z85)): the two must be one key pair")
        }
        return keys
    }
}
