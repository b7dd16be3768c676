import ReferralProtocol

// Value types of the audit trail (see docs/AUDIT.md). No GRDB types leak out of the module.

/// One fact for the audit trail, appended with `StoreOp.audit(_:)` in the same transaction as the state change it
/// records. Only ids, kinds, node ids, codes and short texts: NEVER a message body or any other payload.
///
/// A string field must not contain U+0000 (SQLite would cut it there): each one is replaced by U+FFFD when the
/// record is appended, and the record is chained as stored.
public struct AuditEvent: Sendable, Hashable {
    /// When it happened, milliseconds since 1970 (the broker's clock).
    public var at: Int64
    /// What happened: one of `AuditEvent.Name` ("accepted", "rejected", "auth-failed", ...); the list may grow.
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
        at: Int64, event: String, node: String? = nil, peer: String? = nil, keyFingerprint: String? = nil,
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

    /// The fingerprint of a CURVE public key (its 32 raw octets) as audited: the first 16 lowercase hex digits of
    /// its SHA-256.
    public static func keyFingerprint(of publicKey: [UInt8]) -> String {
        String(SHA256.hex(SHA256.hash(publicKey)).prefix(16))
    }

    /// The event names the broker uses. The store gives three of them a meaning (see `StoreOp.audit(_:)`):
    /// `accepted`, `acked` and `deadLettered`.
    public enum Name {
        public static let accepted = "accepted"
        public static let delivered = "delivered"
        public static let acked = "acked"
        public static let nacked = "nacked"
        public static let deadLettered = "dead-lettered"
        public static let rejected = "rejected"
        public static let authFailed = "auth-failed"
        public static let directoryReloaded = "directory-reloaded"
        public static let receiptConfirmed = "receipt-confirmed"
        public static let escalated = "escalated"
        public static let sessionOpened = "session-opened"
        public static let sessionEnded = "session-ended"
        /// An operator accepted a store that held less than it had acknowledged (`referrald accept-rollback`).
        public static let storeRolledBack = "store-rolled-back"
        /// The audit chain's tail did not verify when the broker started.
        public static let auditTailBroken = "audit-tail-broken"
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
