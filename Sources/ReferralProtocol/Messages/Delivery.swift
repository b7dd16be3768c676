/// DELIVER (broker → node): one message for this node (1/RBP §7.6).
public struct Deliver: Sendable, Hashable {
    public var seq: Int64
    /// The sender's message id.
    public var id: String
    /// The sender's node id.
    public var from: String
    /// All recipients of the message as node ids: the sender's addresses resolved, each node once,
    /// in order of first appearance.
    public var to: [String]
    public var kind: String
    /// A lowercase canonical UUID after decoding.
    public var caseId: String?
    public var priority: Priority
    /// Milliseconds since the Unix epoch.
    public var acceptedAt: Int64
    /// 1 for the first sending of this delivery.
    public var attempt: Int
    public var body: [UInt8]

    public init(
        seq: Int64, id: String, from: String, to: [String], kind: String, caseId: String? = nil, priority: Priority,
        acceptedAt: Int64, attempt: Int, body: [UInt8] = []
    ) {
        self.seq = seq
        self.id = id
        self.from = from
        self.to = to
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.acceptedAt = acceptedAt
        self.attempt = attempt
        self.body = body
    }
}

/// ACK (node → broker): the delivery is in the node's durable inbox (1/RBP §7.7).
public struct Ack: Sendable, Hashable {
    public var seq: Int64

    public init(seq: Int64) { self.seq = seq }
}

/// NACK (node → broker): the node did not take the delivery (1/RBP §7.8).
public struct Nack: Sendable, Hashable {
    public var seq: Int64
    /// True: try again later with backoff. False: permanent, the delivery is dead-lettered.
    public var retry: Bool
    /// At most 200 characters, no control characters, never payload content.
    public var reason: String

    public init(seq: Int64, retry: Bool, reason: String) {
        self.seq = seq
        self.retry = retry
        self.reason = reason
    }
}
