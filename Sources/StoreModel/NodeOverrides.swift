// Operators' overrides of the directory (ADMIN-1 NODE-SUSPEND, NODE-RESUME, NODE-ROTATE-KEY, NODE-MOVE-BACKLOG):
// durable rows of the store, applied on top of the directory file at start and after every reload
// (docs/DESIGN.md, "Operators' node overrides"). The directory file stays the operator's list of nodes.

/// What an operator changed about one node from `referralctl`, as the store keeps it (table `node_overrides`,
/// migration `v10-node-overrides`). Empty (no suspension, no key) means no row.
public struct NodeOverride: Sendable, Hashable {
    /// A suspension by an operator: the node is suspended whatever the directory file says, until NODE-RESUME.
    public struct Suspension: Sendable, Hashable {
        public var reason: String
        public var by: String
        public var at: Int64

        public init(reason: String, by: String, at: Int64) {
            (self.reason, self.by, self.at) = (reason, by, at)
        }
    }

    /// A key rotation: `publicKey` is the node's key in force while the directory file still holds `directoryKey`
    /// (the file's key when the first rotation was made); `previousKey` is still let in until `previousUntil`.
    public struct KeyRotation: Sendable, Hashable {
        public var publicKey: String
        public var directoryKey: String
        public var previousKey: String?
        public var previousUntil: Int64?
        public var by: String
        public var at: Int64

        public init(
            publicKey: String, directoryKey: String, previousKey: String?, previousUntil: Int64?, by: String, at: Int64
        ) {
            self.publicKey = publicKey
            self.directoryKey = directoryKey
            self.previousKey = previousKey
            self.previousUntil = previousUntil
            self.by = by
            self.at = at
        }
    }

    public var node: String
    public var suspension: Suspension?
    public var key: KeyRotation?

    public init(node: String, suspension: Suspension? = nil, key: KeyRotation? = nil) {
        (self.node, self.suspension, self.key) = (node, suspension, key)
    }

    /// Nothing is overridden: the store keeps no row.
    public var isEmpty: Bool { suspension == nil && key == nil }
}

/// NODE-MOVE-BACKLOG as one unit: every open delivery to `from` that does not wait in a held lane is given to `to`
/// (attempts reset), with a `moved` trail event each, its open delivery deadline renamed to `to` (and `toRegion`,
/// `to`'s division), `node_backlog` of both nodes moved by the count, and the audit record.
public struct BacklogMove: Sendable, Hashable {
    public var from: String
    public var to: String
    public var toRegion: String?
    public var at: Int64
    public var audit: AuditEvent

    public init(from: String, to: String, toRegion: String?, at: Int64, audit: AuditEvent) {
        (self.from, self.to, self.toRegion, self.at, self.audit) = (from, to, toRegion, at, audit)
    }
}

/// What a backlog move did: the seqs given to `to` (ascending), and the open deliveries each node has after it.
public struct BacklogMoved: Sendable, Hashable {
    public var seqs: [Int64]
    /// Open deliveries left with `from` (those of held lanes, and messages `to` already had a delivery of).
    public var fromOpen: Int
    public var toOpen: Int

    public init(seqs: [Int64], fromOpen: Int, toOpen: Int) {
        (self.seqs, self.fromOpen, self.toOpen) = (seqs, fromOpen, toOpen)
    }
}

/// One open delivery as NODE-BACKLOG shows it: headers only, never a body.
public struct BacklogDelivery: Sendable, Hashable {
    public var seq: Int64
    public var sender: String
    public var messageId: String
    public var kind: String
    public var caseId: String?
    /// 0 routine, 1 urgent, 2 crisis (the store's column).
    public var priority: Int
    /// When the message was accepted: since when the delivery waits.
    public var since: Int64
    public var attempts: Int

    public init(
        seq: Int64, sender: String, messageId: String, kind: String, caseId: String?, priority: Int, since: Int64,
        attempts: Int
    ) {
        self.seq = seq
        self.sender = sender
        self.messageId = messageId
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.since = since
        self.attempts = attempts
    }
}

/// A page of one node's open deliveries (seq after the one asked for, ascending) and when its oldest open one was
/// accepted.
public struct BacklogPage: Sendable, Hashable {
    public var deliveries: [BacklogDelivery]
    public var oldestWaiting: Int64?
    /// More open deliveries follow the page.
    public var more: Bool

    public init(deliveries: [BacklogDelivery], oldestWaiting: Int64?, more: Bool) {
        (self.deliveries, self.oldestWaiting, self.more) = (deliveries, oldestWaiting, more)
    }
}
