// Value types of the audit trail (see docs/AUDIT.md).

/// One fact for the audit trail, appended in the same transaction as the state change it records (a unit of
/// store work, `StoreUnit`). Only ids, kinds, node ids, codes and short texts: NEVER a message body or any other
/// payload.
///
/// A string field must not contain U+0000 (SQLite would cut it there): each one is replaced by U+FFFD when the
/// record is appended, and the record is chained as stored.
public struct AuditEvent: Sendable, Hashable {
    /// When it happened, milliseconds since 1970 (the broker's clock).
    public var at: Int64
    /// What happened, as stored and hashed: a `Name`'s raw value for every record this broker writes;
    /// a record read back keeps whatever text it holds (a newer broker's name, or an edited row).
    public var event: String
    /// The acting node id (the sender for "accepted", the recipient for "acked", ...), when known.
    public var node: String?
    /// The peer's network address (authentication failures).
    public var peer: String?
    /// The first 16 hex digits of the SHA-256 of a CURVE public key: `AuditEvent.keyFingerprint(of:)`.
    public var keyFingerprint: String?
    /// The sender's message id.
    public var messageId: String?
    /// The broker's message seq.
    public var seq: Int64?
    /// A recipient node id or address.
    public var recipient: String?
    /// The message kind.
    public var kind: String?
    /// An error or rejection code ("FORBIDDEN", "CONFLICT", ...).
    public var code: String?
    /// A short text (reason, counts, file name). NEVER payload.
    public var detail: String?

    public init(
        at: Int64, event: Name, node: String? = nil, peer: String? = nil, keyFingerprint: String? = nil,
        messageId: String? = nil, seq: Int64? = nil, recipient: String? = nil, kind: String? = nil,
        code: String? = nil, detail: String? = nil
    ) {
        self.init(
            at: at, storedEvent: event.rawValue, node: node, peer: peer, keyFingerprint: keyFingerprint,
            messageId: messageId, seq: seq, recipient: recipient, kind: kind, code: code, detail: detail)
    }

    /// A record as read back from a store: `storedEvent` is the text it holds.
    public init(
        at: Int64, storedEvent event: String, node: String? = nil, peer: String? = nil, keyFingerprint: String? = nil,
        messageId: String? = nil, seq: Int64? = nil, recipient: String? = nil, kind: String? = nil,
        code: String? = nil, detail: String? = nil
    ) {
        self.at = at
        self.event = event
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

    /// The event's name; nil for a text this broker does not write.
    public var name: Name? { Name(rawValue: event) }
}

extension AuditEvent {
    /// What an audit record says happened (docs/AUDIT.md; the raw values are the stored, hashed text and never
    /// change). The store ties three of them to the change they record: `accepted`, `acked` and `deadLettered`.
    public enum Name: String, Sendable, Hashable, CaseIterable {
        case accepted = "accepted"
        case delivered = "delivered"
        case acked = "acked"
        case nacked = "nacked"
        case deadLettered = "dead-lettered"
        case rejected = "rejected"
        case authFailed = "auth-failed"
        case directoryReloaded = "directory-reloaded"
        case receiptConfirmed = "receipt-confirmed"
        case escalated = "escalated"
        case sessionOpened = "session-opened"
        case sessionEnded = "session-ended"
        /// An operator accepted a store that held less than it had acknowledged (`referrald accept-rollback`).
        case storeRolledBack = "store-rolled-back"
        /// The audit chain's tail did not verify when the broker started.
        case auditTailBroken = "audit-tail-broken"
        /// An operator's ADMIN-1 BACKUP wrote a copy of the store (`detail`: its path and size).
        case storeBackedUp = "store-backed-up"
        /// An operator's REDRIVE put a dead letter back as a pending delivery (`detail`: operator, corrected recipient).
        case deadLetterRedriven = "dead-letter-redriven"
        /// An operator's DISCARD closed a dead letter for good (`detail`: operator).
        case deadLetterDiscarded = "dead-letter-discarded"
        /// An operator released a held (case, recipient) lane (`detail`: operator, case).
        case caseReleased = "case-released"
        /// A purge run removed old message bodies (retention; `detail`: counts by rule, and the operator who asked).
        case bodiesPurged = "bodies-purged"
        /// An operator suspended a node from referralctl (`node`; `detail`: the operator and the reason).
        case nodeSuspended = "node-suspended"
        /// An operator lifted their suspension of a node (`node`; `detail`: the operator, the state now).
        case nodeResumed = "node-resumed"
        /// An operator gave a node a new key (`node`, the new key's fingerprint; `detail`: operator, grace, old key).
        case nodeKeyRotated = "node-key-rotated"
        /// An operator moved a node's waiting deliveries to another node (`node`: from, `recipient`: to;
        /// `detail`: the operator and the count).
        case backlogMoved = "backlog-moved"
    }
}

/// A stored audit record: its id (1, 2, 3, ... without gaps), its fields, and its chain hash in lowercase hex.
public struct AuditRecordRow: Sendable, Hashable {
    public var id: Int64
    public var entry: AuditEvent
    /// SHA-256(previous record's hash || canonical bytes of this record), 64 lowercase hex digits.
    public var hash: String

    public init(id: Int64, entry: AuditEvent, hash: String) {
        self.id = id
        self.entry = entry
        self.hash = hash
    }
}

/// Result of `BrokerStore.verifyAudit()`.
public enum AuditVerification: Sendable, Hashable {
    /// Every record chains to the one before it; `lastHash` is the newest record's hash (64 zeros when empty).
    case intact(records: Int, lastHash: String)
    /// The first bad record: `atId` is its id (for a gap, the id that follows the gap) and `problem` one of
    /// `AuditVerification.Problem`.
    case broken(atId: Int64, problem: String)

    /// What `.broken` reports.
    public enum Problem {
        /// The record's fields or hash were edited (its hash does not match its content and predecessor).
        public static let changed = "record changed"
        /// One or more records before this one were deleted (its id does not follow the previous one).
        public static let missing = "record missing before this one"
        /// Records were moved: the hash does not chain and the times (or ids) run backwards around this record.
        public static let outOfOrder = "records out of order"
        /// The newest records were deleted while this store was open (it wrote up to a later id).
        public static let missingAtEnd = "records missing at the end"
        /// The chain is self-consistent but this record's hash differs from the one this store wrote: the records
        /// up to it were edited and every hash after them recomputed.
        public static let rewritten = "chain rewritten"
    }
}
