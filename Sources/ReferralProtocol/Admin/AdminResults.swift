/// The result objects of ADMIN-1's OK replies (protocols/ADMIN-1.md), one type per command. Members a broker
/// of this version may leave out are optionals; times are ms since the Unix epoch.
public enum AdminResult: Sendable, Hashable {
    case status(AdminStatus)
    case trail(AdminTrail)
    case caseInfo(AdminCase)
    case overdue([AdminOverdueItem])
    case reload(AdminReload)
    case auditVerify(AdminAuditVerification)
    case auditExport([AdminAuditRecord])
    case backup(AdminBackup)
    case deadLetters(AdminRepair.List)
    case deadLetter(AdminRepair.Detail)
    case redrive(AdminRepair.Redriven)
    case discard(AdminRepair.Discarded)
    case held([AdminRepair.HeldLane])
    case release(AdminRepair.HeldLane)
    case purge(AdminPurge)
    /// NODE-SUSPEND, NODE-RESUME, NODE-ROTATE-KEY.
    case node(AdminNodeState)
    case nodeBacklog(AdminNodeBacklog)
    case backlogMoved(AdminBacklogMove)
    case stats(AdminStats)
}

/// An ADMIN-1 reply: OK with the command's result, or ERROR.
public enum AdminResponse: Sendable, Hashable {
    case ok(AdminResult)
    case error(AdminError)
}

/// STATUS.
public struct AdminStatus: Sendable, Hashable {
    public struct Broker: Sendable, Hashable {
        public var version: String
        public var startedAt: Int64
        public var uptimeMs: Int64
        public var endpoint: String
        /// `curve`, or `plaintext-development`.
        public var security: String
        public var storeTransactions: Int
        public var storeRowsWritten: Int

        public init(
            version: String, startedAt: Int64, uptimeMs: Int64, endpoint: String, security: String,
            storeTransactions: Int, storeRowsWritten: Int
        ) {
            self.version = version
            self.startedAt = startedAt
            self.uptimeMs = uptimeMs
            self.endpoint = endpoint
            self.security = security
            self.storeTransactions = storeTransactions
            self.storeRowsWritten = storeRowsWritten
        }
    }

    public struct Node: Sendable, Hashable {
        public var node: String
        public var agency: String
        public var kind: String
        public var division: String
        /// `active`, `suspended` or `removed`.
        public var state: String
        public var name: String
        public var connected: Bool
        public var pending: Int
        public var inFlight: Int
        public var deadLetters: Int
        public var receiptsPending: Int
        /// An operator's suspension (NODE-SUSPEND): who, why, when; absent when none.
        public var suspendedBy: String?
        public var suspendedReason: String?
        public var suspendedAt: Int64?
        /// A replaced key still let in (NODE-ROTATE-KEY) and until when; absent when none.
        public var previousKey: String?
        public var previousKeyUntil: Int64?

        public init(
            node: String, agency: String, kind: String, division: String, state: String, name: String,
            connected: Bool, pending: Int, inFlight: Int, deadLetters: Int, receiptsPending: Int,
            suspendedBy: String? = nil, suspendedReason: String? = nil, suspendedAt: Int64? = nil,
            previousKey: String? = nil, previousKeyUntil: Int64? = nil
        ) {
            self.suspendedBy = suspendedBy
            self.suspendedReason = suspendedReason
            self.suspendedAt = suspendedAt
            self.previousKey = previousKey
            self.previousKeyUntil = previousKeyUntil
            self.node = node
            self.agency = agency
            self.kind = kind
            self.division = division
            self.state = state
            self.name = name
            self.connected = connected
            self.pending = pending
            self.inFlight = inFlight
            self.deadLetters = deadLetters
            self.receiptsPending = receiptsPending
        }
    }

    /// A held (case, recipient): the dead letter at `seq`, since `since`, holds the case's later messages.
    public struct HeldCase: Sendable, Hashable {
        public var caseId: String
        public var recipient: String
        public var since: Int64
        public var seq: Int64

        public init(caseId: String, recipient: String, since: Int64, seq: Int64) {
            self.caseId = caseId
            self.recipient = recipient
            self.since = since
            self.seq = seq
        }
    }

    public var broker: Broker
    public var nodes: [Node]
    public var heldCases: [HeldCase]
    public var deadLetters: Int
    /// The last purge run since the broker started (retention); nil: none yet.
    public var lastPurge: AdminPurge?
    /// The store's backend, lease and database (`AdminStoreStatus`); nil (absent) with SQLite.
    public var store: AdminStoreStatus?

    public init(
        broker: Broker, nodes: [Node], heldCases: [HeldCase], deadLetters: Int, lastPurge: AdminPurge? = nil,
        store: AdminStoreStatus? = nil
    ) {
        self.broker = broker
        self.nodes = nodes
        self.heldCases = heldCases
        self.deadLetters = deadLetters
        self.lastPurge = lastPurge
        self.store = store
    }
}

/// One event of a message's trail (TRAIL, CASE).
public struct AdminTrailEvent: Sendable, Hashable {
    public var at: Int64
    public var event: String
    public var seq: Int64
    public var messageId: String
    public var sender: String
    public var recipient: String?
    public var attempt: Int64?
    public var detail: String?

    public init(
        at: Int64, event: String, seq: Int64, messageId: String, sender: String, recipient: String? = nil,
        attempt: Int64? = nil, detail: String? = nil
    ) {
        self.at = at
        self.event = event
        self.seq = seq
        self.messageId = messageId
        self.sender = sender
        self.recipient = recipient
        self.attempt = attempt
        self.detail = detail
    }
}

/// TRAIL.
public struct AdminTrail: Sendable, Hashable {
    public var events: [AdminTrailEvent]
    /// The broker returned only its first events.
    public var truncated: Bool

    public init(events: [AdminTrailEvent], truncated: Bool = false) {
        self.events = events
        self.truncated = truncated
    }
}

/// OVERDUE: one late deadline.
public struct AdminOverdueItem: Sendable, Hashable {
    public var id: Int64
    public var caseId: String?
    public var item: String
    public var dueAt: Int64
    public var level: Int64
    public var region: String?
    public var agency: String?
    public var risk: String?
    /// At level 1 or above: when the item's latest escalation step was taken (this step was set); nil at level 0.
    public var escalatedAt: Int64?

    public init(
        id: Int64, caseId: String?, item: String, dueAt: Int64, level: Int64, region: String?, agency: String?,
        risk: String?, escalatedAt: Int64? = nil
    ) {
        self.id = id
        self.caseId = caseId
        self.item = item
        self.dueAt = dueAt
        self.level = level
        self.region = region
        self.agency = agency
        self.risk = risk
        self.escalatedAt = escalatedAt
    }
}

/// RELOAD: the node count and what changed, by node id.
public struct AdminReload: Sendable, Hashable {
    public var nodes: Int
    public var added: [String]
    public var removed: [String]
    public var suspended: [String]
    public var reactivated: [String]
    public var rekeyed: [String]
    /// The escalation policy in force: 12 hex digits of its file's SHA-256, or `default`.
    public var escalationPolicy: String

    public init(
        nodes: Int, added: [String], removed: [String], suspended: [String], reactivated: [String],
        rekeyed: [String], escalationPolicy: String
    ) {
        self.nodes = nodes
        self.added = added
        self.removed = removed
        self.suspended = suspended
        self.reactivated = reactivated
        self.rekeyed = rekeyed
        self.escalationPolicy = escalationPolicy
    }
}

/// AUDIT-VERIFY.
public enum AdminAuditVerification: Sendable, Hashable {
    case intact(records: Int64, lastHash: String)
    /// The first bad record and what is wrong with it (ADMIN-1 lists the problems).
    case broken(atId: Int64, problem: String)
}

/// AUDIT-EXPORT: one audit record (docs/AUDIT.md), its chain hash and the canonical line the hash covers.
public struct AdminAuditRecord: Sendable, Hashable {
    public var id: Int64
    public var at: Int64
    public var event: String
    public var hash: String
    public var line: String
    public var node: String?
    public var peer: String?
    public var keyFingerprint: String?
    public var messageId: String?
    public var seq: Int64?
    public var recipient: String?
    public var kind: String?
    public var code: String?
    public var detail: String?

    public init(
        id: Int64, at: Int64, event: String, hash: String, line: String, node: String? = nil, peer: String? = nil,
        keyFingerprint: String? = nil, messageId: String? = nil, seq: Int64? = nil, recipient: String? = nil,
        kind: String? = nil, code: String? = nil, detail: String? = nil
    ) {
        self.id = id
        self.at = at
        self.event = event
        self.hash = hash
        self.line = line
        self.node = node
        self.peer = peer
        self.keyFingerprint = keyFingerprint
        self.messageId = messageId
        self.seq = seq
        self.recipient = recipient
        self.kind = kind
        self.code = code
        self.detail = detail
    }
}

/// BACKUP: the copy written, its size and how long the store thread spent making it.
public struct AdminBackup: Sendable, Hashable {
    public var path: String
    public var bytes: Int64
    public var durationMs: Int64

    public init(path: String, bytes: Int64, durationMs: Int64) {
        (self.path, self.bytes, self.durationMs) = (path, bytes, durationMs)
    }
}

/// PURGE, and STATUS's `last_purge`: one purge run of old message bodies (retention), when it ended, what it purged
/// by rule and how long it took.
public struct AdminPurge: Sendable, Hashable {
    public var at: Int64
    public var closedCase: Int64
    public var caseless: Int64
    public var deadLetters: Int64
    public var durationMs: Int64

    public init(at: Int64, closedCase: Int64, caseless: Int64, deadLetters: Int64, durationMs: Int64) {
        (self.at, self.closedCase, self.caseless, self.deadLetters) = (at, closedCase, caseless, deadLetters)
        self.durationMs = durationMs
    }
}
