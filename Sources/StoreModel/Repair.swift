// The operators' repair of dead letters and held cases (ADMIN-1 DEAD-LETTERS, DEAD-LETTER, REDRIVE, DISCARD, HELD,
// RELEASE): the store's records, the filter of the list, and the unit that changes a dead letter or a held lane with
// its audit record in one transaction.

/// A dead-lettered delivery as the list shows it (no body).
public struct DeadLetterRecord: Sendable, Hashable {
    public var seq: Int64
    public var recipient: String
    public var sender: String
    public var messageId: String
    public var kind: String
    public var caseId: String?
    /// 0 routine, 1 urgent, 2 crisis (as stored).
    public var priority: Int
    public var deadLetteredAt: Int64
    public var reason: String
    public var attempts: Int

    public init(
        seq: Int64, recipient: String, sender: String, messageId: String, kind: String, caseId: String?, priority: Int,
        deadLetteredAt: Int64, reason: String, attempts: Int
    ) {
        self.seq = seq
        self.recipient = recipient
        self.sender = sender
        self.messageId = messageId
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.deadLetteredAt = deadLetteredAt
        self.reason = reason
        self.attempts = attempts
    }
}

/// One dead letter in full (ADMIN-1 DEAD-LETTER): the list's columns, the message's headers and its body's size and
/// SHA-256 (never the body; both nil once the body is purged), and the message's trail for this recipient.
public struct DeadLetterDetail: Sendable, Hashable {
    public var letter: DeadLetterRecord
    public var recipients: [String]
    public var acceptedAt: Int64
    public var bodyOctets: Int?
    public var bodySHA256: [UInt8]?
    public var trail: [TrailEntry]

    public init(
        letter: DeadLetterRecord, recipients: [String], acceptedAt: Int64, bodyOctets: Int?, bodySHA256: [UInt8]?,
        trail: [TrailEntry]
    ) {
        self.letter = letter
        self.recipients = recipients
        self.acceptedAt = acceptedAt
        self.bodyOctets = bodyOctets
        self.bodySHA256 = bodySHA256
        self.trail = trail
    }
}

/// DEAD-LETTERS' filters (nil: no filter), in (seq, recipient) order after the cursor.
public struct DeadLetterFilter: Sendable, Hashable {
    public var recipient: String?
    public var sender: String?
    public var kind: String?
    /// A substring of the reason (literal, case-sensitive).
    public var reasonContains: String?
    /// Dead-lettered at or before this time.
    public var before: Int64?
    /// Dead-lettered at or after this time.
    public var since: Int64?
    /// Only after this (seq, recipient).
    public var after: DeadLetterCursor?
    public var limit: Int

    public init(
        recipient: String? = nil, sender: String? = nil, kind: String? = nil, reasonContains: String? = nil,
        before: Int64? = nil, since: Int64? = nil, after: DeadLetterCursor? = nil, limit: Int = 100
    ) {
        self.recipient = recipient
        self.sender = sender
        self.kind = kind
        self.reasonContains = reasonContains
        self.before = before
        self.since = since
        self.after = after
        self.limit = limit
    }
}

/// Where a page of dead letters ended: the last (seq, recipient) it returned.
public struct DeadLetterCursor: Sendable, Hashable {
    public var seq: Int64
    public var recipient: String

    public init(seq: Int64, recipient: String) {
        self.seq = seq
        self.recipient = recipient
    }
}

/// A held (case, recipient) with how many of its deliveries wait behind the dead letter (ADMIN-1 HELD).
public struct HeldLaneRecord: Sendable, Hashable {
    public var held: HeldCase
    public var waiting: Int

    public init(held: HeldCase, waiting: Int) {
        self.held = held
        self.waiting = waiting
    }
}

/// An operator's change to a dead letter or a held lane, with its audit record (written in the same transaction,
/// only if the change is made).
public struct RepairUnit: Sendable {
    public enum Action: Sendable {
        /// The dead letter becomes a pending delivery again (attempts 0). With `to`, it is closed for good instead and a
        /// new pending delivery of the message to `to` is written; `check` (sender, kind) -> nil or why `to` is refused.
        case redrive(seq: Int64, recipient: String, to: String?, check: @Sendable (String, String) -> String?)
        /// The dead letter is closed for good.
        case discard(seq: Int64, recipient: String)
        /// The held lane is released (its dead letter stays one).
        case release(caseId: String, recipient: String)
    }

    public var action: Action
    public var at: Int64
    /// The operator's name, in the trail event and the audit record.
    public var operatorName: String
    /// The record of the change; the store fills in seq, message id and kind.
    public var audit: AuditEvent

    public init(action: Action, at: Int64, operatorName: String, audit: AuditEvent) {
        self.action = action
        self.at = at
        self.operatorName = operatorName
        self.audit = audit
    }
}

/// What a repair unit did.
public enum RepairResult: Sendable, Hashable {
    /// REDRIVE: `delivery` is pending now (to the corrected recipient when one was given); `released` is the held lane
    /// (case, recipient) this dead letter held, now released (nil: it held none).
    case redriven(delivery: OpenDelivery, released: HeldCase?)
    /// DISCARD: closed; `released` as for REDRIVE.
    case discarded(DeadLetterRecord, released: HeldCase?)
    /// RELEASE: the lane is no longer held.
    case released(HeldCase)
    /// No such open dead letter (or held lane): nothing was written.
    case notFound
    /// REDRIVE: the message's body is no longer stored (retention purged it): nothing was written.
    case bodyPurged
    /// REDRIVE with `to`: refused (why); nothing was written.
    case refused(String)
}
