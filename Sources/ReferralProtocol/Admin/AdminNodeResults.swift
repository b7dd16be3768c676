/// The results of ADMIN-1's node commands (NODE-SUSPEND, NODE-RESUME, NODE-ROTATE-KEY, NODE-BACKLOG,
/// NODE-MOVE-BACKLOG). Public keys are public: they are shown in Z85, never a secret.

/// NODE-SUSPEND, NODE-RESUME and NODE-ROTATE-KEY: the node as it stands now, the operators' overrides applied.
public struct AdminNodeState: Sendable, Hashable {
    public var node: String
    /// `active` or `suspended`, in force now.
    public var state: String
    /// `active` or `suspended` as the directory file says.
    public var directoryState: String
    /// The operator's suspension, if any.
    public var suspendedBy: String?
    public var suspendedReason: String?
    public var suspendedAt: Int64?
    /// The key in force (Z85).
    public var publicKey: String
    /// A replaced key still let in until `previousKeyUntil`.
    public var previousKey: String?
    public var previousKeyUntil: Int64?
    /// Whether this command ended the node's live session.
    public var sessionEnded: Bool

    public init(
        node: String, state: String, directoryState: String, suspendedBy: String? = nil,
        suspendedReason: String? = nil, suspendedAt: Int64? = nil, publicKey: String, previousKey: String? = nil,
        previousKeyUntil: Int64? = nil, sessionEnded: Bool = false
    ) {
        self.node = node
        self.state = state
        self.directoryState = directoryState
        self.suspendedBy = suspendedBy
        self.suspendedReason = suspendedReason
        self.suspendedAt = suspendedAt
        self.publicKey = publicKey
        self.previousKey = previousKey
        self.previousKeyUntil = previousKeyUntil
        self.sessionEnded = sessionEnded
    }
}

/// NODE-BACKLOG: one node's counts (as STATUS counts them) and a page of its open deliveries, headers only.
public struct AdminNodeBacklog: Sendable, Hashable {
    public struct Delivery: Sendable, Hashable {
        public var seq: Int64
        public var sender: String
        public var messageId: String
        public var kind: String
        public var caseId: String?
        /// `crisis`, `urgent` or `routine`.
        public var priority: String
        /// When the message was accepted.
        public var since: Int64
        public var attempts: Int

        public init(
            seq: Int64, sender: String, messageId: String, kind: String, caseId: String?, priority: String,
            since: Int64, attempts: Int
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

    public var node: String
    public var state: String
    public var connected: Bool
    public var pending: Int
    public var inFlight: Int
    public var held: Int
    public var deadLetters: Int
    public var receiptsPending: Int
    /// When the oldest open delivery's message was accepted (absent: none open).
    public var oldestWaiting: Int64?
    public var deliveries: [Delivery]
    /// The `after` for the next page (absent: this was the last).
    public var nextAfter: Int64?

    public init(
        node: String, state: String, connected: Bool, pending: Int, inFlight: Int, held: Int, deadLetters: Int,
        receiptsPending: Int, oldestWaiting: Int64?, deliveries: [Delivery], nextAfter: Int64?
    ) {
        self.node = node
        self.state = state
        self.connected = connected
        self.pending = pending
        self.inFlight = inFlight
        self.held = held
        self.deadLetters = deadLetters
        self.receiptsPending = receiptsPending
        self.oldestWaiting = oldestWaiting
        self.deliveries = deliveries
        self.nextAfter = nextAfter
    }
}

/// NODE-MOVE-BACKLOG: how many deliveries went to `to`, and the open deliveries each node has now.
public struct AdminBacklogMove: Sendable, Hashable {
    public var from: String
    public var to: String
    public var moved: Int
    /// Open deliveries left with `from` (held lanes, and messages `to` already had).
    public var fromOpen: Int
    public var toOpen: Int

    public init(from: String, to: String, moved: Int, fromOpen: Int, toOpen: Int) {
        (self.from, self.to, self.moved, self.fromOpen, self.toOpen) = (from, to, moved, fromOpen, toOpen)
    }
}

extension AdminCodec {
    static func nodeStateJSON(_ state: AdminNodeState) -> JSONValue {
        object([
            "node": state.node, "state": state.state, "directory_state": state.directoryState,
            "suspended_by": state.suspendedBy, "suspended_reason": state.suspendedReason,
            "suspended_at": state.suspendedAt, "public_key": state.publicKey, "previous_key": state.previousKey,
            "previous_key_until": state.previousKeyUntil, "session_ended": state.sessionEnded,
        ])
    }

    static func nodeBacklogJSON(_ backlog: AdminNodeBacklog) -> JSONValue {
        let deliveries = backlog.deliveries.map { delivery in
            object([
                "seq": delivery.seq, "sender": delivery.sender, "message_id": delivery.messageId,
                "kind": delivery.kind, "case": delivery.caseId, "priority": delivery.priority,
                "since": delivery.since, "attempts": delivery.attempts,
            ])
        }
        return object([
            "node": backlog.node, "state": backlog.state, "connected": backlog.connected, "pending": backlog.pending,
            "in_flight": backlog.inFlight, "held": backlog.held, "dead_letters": backlog.deadLetters,
            "receipts_pending": backlog.receiptsPending, "oldest_waiting": backlog.oldestWaiting,
            "deliveries": deliveries, "next_after": backlog.nextAfter,
        ])
    }

    static func backlogMoveJSON(_ move: AdminBacklogMove) -> JSONValue {
        object([
            "from": move.from, "to": move.to, "moved": move.moved, "from_open": move.fromOpen,
            "to_open": move.toOpen,
        ])
    }

    static func nodeState(_ object: AdminObjectReader) throws(Malformed) -> AdminNodeState {
        AdminNodeState(
            node: try object.string("node"), state: try object.string("state"),
            directoryState: try object.string("directory_state"),
            suspendedBy: try object.optionalString("suspended_by"),
            suspendedReason: try object.optionalString("suspended_reason"),
            suspendedAt: try object.optionalInteger("suspended_at"), publicKey: try object.string("public_key"),
            previousKey: try object.optionalString("previous_key"),
            previousKeyUntil: try object.optionalInteger("previous_key_until"),
            sessionEnded: try object.bool("session_ended"))
    }

    static func nodeBacklog(_ object: AdminObjectReader) throws(Malformed) -> AdminNodeBacklog {
        AdminNodeBacklog(
            node: try object.string("node"), state: try object.string("state"),
            connected: try object.bool("connected"), pending: try object.count("pending"),
            inFlight: try object.count("in_flight"), held: try object.count("held"),
            deadLetters: try object.count("dead_letters"), receiptsPending: try object.count("receipts_pending"),
            oldestWaiting: try object.optionalInteger("oldest_waiting"),
            deliveries: try object.objects("deliveries") { (delivery) throws(Malformed) in
                AdminNodeBacklog.Delivery(
                    seq: try delivery.integer("seq"), sender: try delivery.string("sender"),
                    messageId: try delivery.string("message_id"), kind: try delivery.string("kind"),
                    caseId: try delivery.optionalString("case"), priority: try delivery.string("priority"),
                    since: try delivery.integer("since"), attempts: try delivery.count("attempts"))
            },
            nextAfter: try object.optionalInteger("next_after"))
    }

    static func backlogMove(_ object: AdminObjectReader) throws(Malformed) -> AdminBacklogMove {
        AdminBacklogMove(
            from: try object.string("from"), to: try object.string("to"), moved: try object.count("moved"),
            fromOpen: try object.count("from_open"), toOpen: try object.count("to_open"))
    }
}
