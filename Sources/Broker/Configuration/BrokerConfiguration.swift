import Foundation

/// Everything `referrald` needs to run. Sources, strongest first: command-line flags, then
/// environment (`REFERRALD_*`), then the JSON file, then these defaults. The file format is
/// documented in `deploy/README.md`, with an example in `deploy/referrald.example.json`.
public struct BrokerConfiguration: Sendable, Hashable {
    /// ZeroMQ endpoint of the nodes' ROUTER. Loopback by default.
    public var endpoint = "tcp://127.0.0.1:5570"
    /// Operators' admin endpoint (STATUS, TRAIL): a local ipc socket, file mode 0600.
    /// Empty means `ipc://<data_directory>/admin.sock`.
    public var adminEndpoint = ""
    /// This broker's name among the instances that share one PostgreSQL store (the lease holder, `referralctl
    /// status`): 1 to 64 of A-Z a-z 0-9 . _ -. Default: the host name (characters outside that set made `-`).
    public var instance = BrokerConfiguration.hostInstanceName()
    /// The store's backend (`store` in the file): SQLite in `data_directory` unless it names PostgreSQL.
    public var store = StoreSettings()
    /// Folder of the broker's SQLite store (`broker.sqlite`). Relative paths are resolved
    /// against the configuration file's folder.
    public var dataDirectory = "data/broker"
    public var heartbeatMs = 5_000
    public var liveness = 3
    public var ackTimeoutMs = 30_000
    public var redelivery = Redelivery()
    public var limits = Limits()
    /// Most SENDs waiting for the store before new ones are refused with OVERLOADED.
    public var maxPendingAccepts = 100_000
    /// Bytes of recently accepted messages kept in memory for fast delivery.
    public var messageCacheBytes = 64 << 20
    /// Open deliveries kept in memory per recipient, and unconfirmed receipts per sender; the rest wait in the store
    /// and are read a page at a time when the node is connected (docs/DESIGN.md).
    public var deliveryMemory = 8_192
    public var receiptMemory = 8_192
    public var logLevel = "info"
    /// "json" (one object per line) or "text".
    public var logFormat = "json"
    /// If set, written once listening: {"endpoint": ..., "admin": ..., "pid": ...}.
    public var readyFile: String?
    /// The agency directory (who is who, with CURVE public keys): a JSON file under the
    /// operator's control, reloaded on SIGHUP or `referralctl directory reload`.
    public var directoryFile = "directory.json"
    /// Authorization policy (who may send which kinds); empty: the default policy of the brief.
    public var policyFile = ""
    /// Folder with provinces/cities/areas/townships.csv; empty: the bundled Fujian table.
    public var divisionsFolder = ""
    /// The broker's CURVE secret key file (Z85, mode 0600). Required unless `insecure_plaintext`.
    public var curveSecretKeyFile = ""
    /// Development only: no CURVE, a node is who its HELLO says. Logged loudly at every start.
    public var insecurePlaintext = false
    /// A node's ZMTP handshake must finish within this time.
    public var handshakeTimeoutMs = 5_000
    public var rateLimit = RateLimit()
    /// Escalation policies (CaseCore's policy document, JSON); empty: the brief's defaults
    /// (`EscalationPolicies.default`). Read at start and on reload (SIGHUP, `referralctl directory
    /// reload`); each deadline keeps a snapshot of the policy in force when it was set, so an edit
    /// applies to new deadlines only.
    public var escalationPolicyFile = ""
    /// Working calendar for working-day clocks: {"holidays": ["2026-10-01", ...], "workdays": [...]};
    /// empty: Monday to Friday, no holidays. Read at start and on reload, like the policy file.
    public var calendarFile = ""
    /// Length of one day of a follow-up plan, in ms. Tests only: anything but 86,400,000 makes plans
    /// run in scaled continuous time (a month = 30 such days) and is logged as a warning at start.
    public var followUpDayMs: Int64 = 86_400_000
    /// The HTTP listener (/health, /ready, /metrics).
    public var http = HTTPSettings()
    /// How long to wait for the store's lock when another process holds it (0: refuse at once).
    public var storeLockWaitMs = 0
    /// Verify the audit chain by itself every this many ms (0: off; `referralctl audit verify` always works).
    public var auditVerifyIntervalMs = 0

    /// How long message bodies are kept (docs: deploy/README.md "Retention"): each period in ms, 0 keeps that class
    /// forever. Headers, trail and audit records are always kept.
    public var retention = Retention()

    public struct Retention: Sendable, Hashable {
        static let day = 86_400_000
        static let maxPeriodMs = 36_500 * day
        /// After the message's case closed (completed, failed or cancelled): 90 days.
        public var closedCaseBodyMs = 90 * day
        /// After every delivery of a message without a tracked case settled: 30 days.
        public var caselessBodyMs = 30 * day
        /// After a message's last dead letter: 30 days (an operator may re-drive it until then).
        public var deadLetterBodyMs = 30 * day
        /// How often a purge run starts: hourly.
        public var purgeIntervalMs = 3_600_000
        /// Messages one purge step (one transaction) looks at.
        public var purgeBatch = 500
    }

    public struct RateLimit: Sendable, Hashable {
        /// SENDs per second a node may sustain, and the burst above it.
        public var messagesPerSecond = 200
        public var burst = 400
    }

    public struct Redelivery: Sendable, Hashable {
        public var initialMs = 1_000
        public var maxMs = 60_000
        public var maxAttempts = 10
    }

    public struct Limits: Sendable, Hashable {
        public var maxHeaderBytes = 16_384
        public var maxBodyBytes = 1_048_576
        public var maxRecipients = 64
        public var maxWindow = 1_024
    }

    public init() {}

    /// The admin endpoint in force.
    public var resolvedAdminEndpoint: String {
        adminEndpoint.isEmpty ? "ipc://\(dataDirectory)/admin.sock" : adminEndpoint
    }

    /// The host name as an instance name: what `instance` is when the file does not set it.
    static func hostInstanceName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "referrald" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let cleaned = String(name.map { isInstanceCharacter($0) ? $0 : "-" }.prefix(64))
        return cleaned.isEmpty ? "referrald" : cleaned
    }

    static func isInstanceCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "._-".contains(character))
    }

    /// The SQLite store file (used when `store.backend` is sqlite).
    public var storePath: String { (dataDirectory as NSString).appendingPathComponent("broker.sqlite") }
}
