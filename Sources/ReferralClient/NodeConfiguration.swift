import Foundation

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
/// | `broker` | yes | | the broker's 1/RBP endpoint, e.g. `tcp://127.0.0.1:5570` (`tcp://`, `ipc://` or `inproc://`) |
/// | `store` | yes | | path of the node's local SQLite file (outbox, inbox, receipts); a relative path is resolved against the directory of the configuration file; its directory is created if missing |
/// | `window` | no | 64 | deliveries the node accepts unacknowledged (asked in HELLO), 1–1024; also the most SENDs it keeps unanswered |
/// | `reconnect_initial_ms` | no | 1000 | first wait before reconnecting after the session is lost; doubles after each failed try |
/// | `reconnect_max_ms` | no | 32000 | the longest wait between reconnects (at least `reconnect_initial_ms`) |
/// | `heartbeat_ms` | no | the broker's | override of the heartbeat interval granted in WELCOME (PING after this much own silence; the broker is dead after liveness × this much silence) |
/// | `welcome_timeout_ms` | no | 3000 | how long to wait for WELCOME after HELLO before reconnecting |
///
/// Unknown fields are refused (a misspelt field must not be silently ignored).
/// Only one process at a time may use a node id and its store.
public struct NodeConfiguration: Codable, Sendable, Hashable {
    /// The node id (1/RBP node-id).
    public var node: String
    /// The broker's 1/RBP endpoint.
    public var broker: String
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

    public static let defaultWindow = 64
    public static let maximumWindow = 1024

    public init(
        node: String, broker: String, store: String, window: Int = NodeConfiguration.defaultWindow,
        reconnectInitialMs: Int = 1000, reconnectMaxMs: Int = 32000, heartbeatMs: Int? = nil,
        welcomeTimeoutMs: Int = 3_000
    ) {
        self.node = node
        self.broker = broker
        self.store = store
        self.window = window
        self.reconnectInitialMs = reconnectInitialMs
        self.reconnectMaxMs = reconnectMaxMs
        self.heartbeatMs = heartbeatMs
        self.welcomeTimeoutMs = welcomeTimeoutMs
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case node, broker, store, window
        case reconnectInitialMs = "reconnect_initial_ms"
        case reconnectMaxMs = "reconnect_max_ms"
        case heartbeatMs = "heartbeat_ms"
        case welcomeTimeoutMs = "welcome_timeout_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        node = try container.decode(String.self, forKey: .node)
        broker = try container.decode(String.self, forKey: .broker)
        store = try container.decode(String.self, forKey: .store)
        window = try container.decodeIfPresent(Int.self, forKey: .window) ?? Self.defaultWindow
        reconnectInitialMs = try container.decodeIfPresent(Int.self, forKey: .reconnectInitialMs) ?? 1000
        reconnectMaxMs = try container.decodeIfPresent(Int.self, forKey: .reconnectMaxMs) ?? 32000
        heartbeatMs = try container.decodeIfPresent(Int.self, forKey: .heartbeatMs)
        welcomeTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .welcomeTimeoutMs) ?? 3_000
    }

    /// Checks every field; throws `ConfigurationError` naming the first bad one (`file` is for the message).
    public func validate(file: String = "<configuration>") throws {
        func fail(_ field: CodingKeys, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: file, field: field.rawValue, problem: problem)
        }
        guard Validation.isNodeId(node) else {
            throw fail(.node, "must be a node id: 1-64 characters of a-z 0-9 . _ -, starting with a letter or digit")
        }
        let schemes = ["tcp://", "ipc://", "inproc://"]
        guard schemes.contains(where: { broker.hasPrefix($0) && broker.count > $0.count }) else {
            throw fail(.broker, "must be a ZeroMQ endpoint such as tcp://127.0.0.1:5570")
        }
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
    }

    /// Reads, checks and returns the configuration in the JSON file at `path`. A relative `store` is
    /// resolved against the file's directory. Errors are `ConfigurationError`s naming the file and the field.
    public static func load(path: String) throws -> NodeConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(file: path, field: nil, problem: "cannot read the file (\(Self.describe(error)))")
        }
        return try parse(data, file: path)
    }

    /// Parses and checks a configuration; `file` names it in errors and anchors a relative `store`.
    static func parse(_ data: Data, file: String) throws -> NodeConfiguration {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigurationError(file: file, field: nil, problem: "is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ConfigurationError(file: file, field: nil, problem: "must contain one JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(file: file, field: unknown, problem: "is not a known field")
        }
        var configuration: NodeConfiguration
        do {
            configuration = try JSONDecoder().decode(NodeConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw ConfigurationError(file: file, decoding: error)
        }
        try configuration.validate(file: file)
        if !configuration.store.hasPrefix("/") {
            let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
            configuration.store = directory.appendingPathComponent(configuration.store).standardizedFileURL.path
        }
        return configuration
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return nsError.localizedDescription
    }
}

/// A configuration file that cannot be used: which file, which field (if one), and what is wrong.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Hashable {
    public var file: String
    /// The JSON field at fault; nil when the file as a whole is (unreadable, not JSON).
    public var field: String?
    public var problem: String

    public init(file: String, field: String?, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    init(file: String, decoding error: DecodingError) {
        self.file = file
        switch error {
        case .keyNotFound(let key, _):
            field = key.stringValue
            problem = "is required but missing"
        case .valueNotFound(let type, let context):
            field = context.codingPath.last?.stringValue
            problem = "must be \(Self.typeName(type)), not null"
        case .typeMismatch(let type, let context):
            field = context.codingPath.last?.stringValue
            problem = "must be \(Self.typeName(type))"
        case .dataCorrupted(let context):
            field = context.codingPath.last?.stringValue
            problem = "has an invalid value"
        @unknown default:
            field = nil
            problem = "cannot be decoded"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        default: "a value of another type"
        }
    }

    public var description: String {
        if let field { return "\(file): field \"\(field)\" \(problem)" }
        return "\(file): \(problem)"
    }
}
