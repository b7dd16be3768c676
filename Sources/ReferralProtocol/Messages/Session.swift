/// HELLO (node → broker): opens a session (1/RBP §7.1).
public struct Hello: Sendable, Hashable {
    /// The node's id (node-id grammar).
    public var node: String
    /// Deliveries the node accepts unacknowledged, 1...maxWindow. When the HELLO names none, the
    /// decoder sets min(64, maxWindow), the window the broker grants.
    public var window: Int
    /// Name and version of the node software, for logs; at most 64 characters.
    public var agent: String?

    public init(node: String, window: Int = Limits.defaultWindow, agent: String? = nil) {
        self.node = node
        self.window = window
        self.agent = agent
    }
}

/// WELCOME (broker → node): the session is open, with these parameters (1/RBP §7.2).
public struct Welcome: Sendable, Hashable {
    public var node: String
    /// The session's id (message-id grammar), for logs.
    public var session: String
    public var heartbeatMs: Int
    /// Heartbeat intervals of silence after which a peer is dead.
    public var liveness: Int
    /// The granted window.
    public var window: Int
    public var ackTimeoutMs: Int
    public var maxHeader: Int
    public var maxBody: Int
    public var maxRecipients: Int
    /// Deliveries to this node open now.
    public var pending: Int
    /// Receipts for this node not yet confirmed.
    public var receipts: Int
    /// The broker store's epoch (32 lowercase hex digits), OPTIONAL: it changes only when the broker's operator
    /// accepted the loss of messages the broker had acknowledged (1/RBP §7.2).
    public var store: String?

    public init(
        node: String, session: String, heartbeatMs: Int, liveness: Int, window: Int, ackTimeoutMs: Int,
        maxHeader: Int, maxBody: Int, maxRecipients: Int, pending: Int, receipts: Int, store: String? = nil
    ) {
        self.node = node
        self.session = session
        self.heartbeatMs = heartbeatMs
        self.liveness = liveness
        self.window = window
        self.ackTimeoutMs = ackTimeoutMs
        self.maxHeader = maxHeader
        self.maxBody = maxBody
        self.maxRecipients = maxRecipients
        self.pending = pending
        self.receipts = receipts
        self.store = store
    }
}
