// The plain records the broker engine and every store backend share: what is stored and read back.
// Pure values: no SQLite, no I/O.

/// A message the broker has decided to accept, ready to be stored.
public struct NewMessage: Sendable, Hashable {
    public var sender: String
    public var messageId: String
    /// SHA-256 of the body, kept forever (bodies may be purged later).
    public var digest: [UInt8]
    public var kind: String
    public var caseId: String?
    /// 0 routine, 1 urgent, 2 crisis.
    public var priority: Int
    /// Node ids; never contain commas, no duplicates.
    public var recipients: [String]
    public var acceptedAt: Int64
    public var body: [UInt8]

    public init(
        sender: String, messageId: String, digest: [UInt8], kind: String, caseId: String?, priority: Int,
        recipients: [String], acceptedAt: Int64, body: [UInt8]
    ) {
        self.sender = sender
        self.messageId = messageId
        self.digest = digest
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.recipients = recipients
        self.acceptedAt = acceptedAt
        self.body = body
    }
}

/// Outcome of storing one `NewMessage`. `(sender, messageId)` is the dedupe key forever.
public enum AcceptResult: Sendable, Hashable {
    /// Newly stored under this seq.
    case stored(seq: Int64)
    /// Same key and same digest already stored (possibly earlier in the same batch): nothing written.
    /// `recipients`: how many nodes the stored message went to.
    case duplicate(seq: Int64, recipients: Int)
    /// Same key but another digest: nothing written.
    case conflict(existingSeq: Int64)
}

/// A pending delivery as loaded at start (the store never records "in flight").
public struct OpenDelivery: Sendable, Hashable {
    public var seq: Int64
    public var recipient: String
    public var sender: String
    public var messageId: String
    public var caseId: String?
    public var priority: Int
    public var attempts: Int
    public var acceptedAt: Int64

    public init(
        seq: Int64, recipient: String, sender: String, messageId: String, caseId: String?, priority: Int,
        attempts: Int, acceptedAt: Int64
    ) {
        self.seq = seq
        self.recipient = recipient
        self.sender = sender
        self.messageId = messageId
        self.caseId = caseId
        self.priority = priority
        self.attempts = attempts
        self.acceptedAt = acceptedAt
    }
}

/// A (case, recipient) held after a dead letter, until an operator releases it.
public struct HeldCase: Sendable, Hashable {
    public var caseId: String
    public var recipient: String
    public var seq: Int64
    public var since: Int64
    public var reason: String

    public init(caseId: String, recipient: String, seq: Int64, since: Int64, reason: String) {
        self.caseId = caseId
        self.recipient = recipient
        self.seq = seq
        self.since = since
        self.reason = reason
    }
}

/// A stored message with its body, for (re)delivery of the backlog.
public struct StoredMessage: Sendable, Hashable {
    public var seq: Int64
    public var sender: String
    public var messageId: String
    public var kind: String
    public var caseId: String?
    public var priority: Int
    public var recipients: [String]
    public var acceptedAt: Int64
    public var body: [UInt8]

    public init(
        seq: Int64, sender: String, messageId: String, kind: String, caseId: String?, priority: Int,
        recipients: [String], acceptedAt: Int64, body: [UInt8]
    ) {
        self.seq = seq
        self.sender = sender
        self.messageId = messageId
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.recipients = recipients
        self.acceptedAt = acceptedAt
        self.body = body
    }
}

/// A receipt for the sender of a message: one per acked or dead-lettered delivery.
public struct ReceiptRecord: Sendable, Hashable {
    public var id: Int64
    public var sender: String
    public var seq: Int64
    public var messageId: String
    public var recipient: String
    /// 0 delivered, 1 dead-lettered.
    public var outcome: Int
    public var at: Int64
    public var reason: String?

    public init(
        id: Int64, sender: String, seq: Int64, messageId: String, recipient: String, outcome: Int, at: Int64,
        reason: String?
    ) {
        self.id = id
        self.sender = sender
        self.seq = seq
        self.messageId = messageId
        self.recipient = recipient
        self.outcome = outcome
        self.at = at
        self.reason = reason
    }
}

/// Counters kept over committed batches since the store was opened.
public struct StoreStatistics: Sendable, Hashable {
    /// Committed transactions (= fsyncs of the WAL).
    public var transactions: Int
    /// Rows inserted or updated by committed batches (index entries not counted).
    public var rowsWritten: Int

    public init(transactions: Int = 0, rowsWritten: Int = 0) {
        self.transactions = transactions
        self.rowsWritten = rowsWritten
    }
}
