// Units of store work: each says what it means and carries everything it needs. A batch is a list of units run
// in ONE transaction (the broker's group commit: one fsync per batch); the store answers one `UnitResult` per
// unit, in order. No unit depends on its neighbours: what happens only when a message is stored (its deadlines,
// its case move, its audit record) or only when a deadline fires (its notice) is part of that one unit.

/// One unit of store work (see `BrokerStoring.run(_:)`).
public enum StoreUnit: Sendable {
    /// Store a SEND (or the broker's own notice) with its deliveries and everything it does once stored.
    /// Result: `.accepted(_)` or `.caseRefused(code:reason:)`.
    case accept(AcceptUnit)
    /// Fire a due deadline if it is still open. Result: `.fired(nextId:notice:)` or `.notFired`.
    case fire(FireUnit)
    /// Close a pending delivery (acked or dead-lettered) with the receipt it carries. Result: `.settled` or
    /// `.notPending`.
    case settle(Settlement)
    /// The sender confirmed a receipt. Result: `.done`.
    case confirmReceipt(id: Int64, at: Int64)
    /// Append a record to the hash-chained audit trail, as given (docs/AUDIT.md). Result: `.done`.
    case audit(AuditEvent)
    /// Store an exceptional trail event (nack, ack timeout, session lost, attempt >= 2, routed, ...). Result: `.done`.
    case trail(TrailEventRecord)
    /// Insert a case row, or replace every column of an existing one. Result: `.done`.
    case putCase(CaseRecord)
    /// Insert an open deadline whose arming message is known (`armedBy` set, item `.text`). Result:
    /// `.deadlineSet(id:)`.
    case setDeadline(NewDeadline)
    /// Close open deadlines. Result: `.closed(count:)`.
    case closeDeadlines(DeadlineClosing, at: Int64)
    /// An operator's repair of a dead letter or held lane, audited. Result: `.repaired(_)`.
    case repair(RepairUnit)
    /// An operator's override of one node, written as given (nil or empty: the node's row is deleted), with its
    /// audit record. Result: `.done`.
    case nodeOverride(node: String, NodeOverride?, audit: AuditEvent?)
    /// NODE-MOVE-BACKLOG (`BacklogMove`). Result: `.moved(_)`.
    case moveBacklog(BacklogMove)
}

/// What one unit did, in unit order.
public enum UnitResult: Sendable, Hashable {
    /// Of `.accept`: stored, or a duplicate or CONFLICT (nothing written).
    case accepted(AcceptResult)
    /// Of `.accept` with a case move the case does not allow now: nothing was written.
    case caseRefused(code: String, reason: String)
    /// Of `.fire`: the deadline was open and is now fired (`nextId`: its next step) or exhausted (nil); `notice`:
    /// what became of the notice, when the unit had one.
    case fired(nextId: Int64?, notice: AcceptResult?)
    /// Of `.fire`: the deadline was not open any more (met, cancelled, fired) or unknown: nothing was written.
    case notFired
    /// Of `.settle`: the delivery was pending and is now closed, its receipt written.
    case settled
    /// Of `.settle`: the delivery was unknown or no longer pending: nothing was written (the receipt is dropped).
    case notPending
    /// Of `.setDeadline`.
    case deadlineSet(id: Int64)
    /// Of `.closeDeadlines`: how many open deadlines were closed.
    case closed(count: Int)
    /// Of `.repair`.
    case repaired(RepairResult)
    /// Of `.moveBacklog`.
    case moved(BacklogMoved)
    case done
}

/// A message to store with all that it does once it is stored. If the message is a duplicate or a CONFLICT, or
/// its case move is refused, nothing of this unit is written.
public struct AcceptUnit: Sendable {
    public var message: NewMessage
    /// A message that moves a referral case: decided against the case row inside the transaction. A resend of a
    /// stored message is a duplicate (or CONFLICT) whatever the case says now; otherwise `decide` gets the stored
    /// row (nil if none) and either refuses or gives the new row, written with the message (and, when the move
    /// ends the case, every open deadline of the case is cancelled).
    public var caseMove: CaseMoveCheck?
    /// Deadlines the message sets. A deadline's `armedBy` nil and an item `.deliveryOfArmingMessage` name this
    /// message (its seq is known only once stored).
    public var deadlines: [NewDeadline]
    /// Deadlines the message meets or ends (closed at `message.acceptedAt`).
    public var closes: [DeadlineClosing]
    /// The audit record of the acceptance ("accepted"): written with the stored seq.
    public var audit: AuditEvent?

    public init(
        message: NewMessage, caseMove: CaseMoveCheck? = nil, deadlines: [NewDeadline] = [],
        closes: [DeadlineClosing] = [], audit: AuditEvent? = nil
    ) {
        self.message = message
        self.caseMove = caseMove
        self.deadlines = deadlines
        self.closes = closes
        self.audit = audit
    }
}

/// Which open deadlines a unit closes.
public enum DeadlineClosing: Sendable, Hashable {
    /// Every open deadline of the case with this item (every item when nil), as `state` (`.met` or `.cancelled`).
    case inCase(String, item: String?, state: DeadlineState)
    /// The open deadlines without a case that have this item (a case-less crisis alert's acknowledgments).
    case withoutCase(item: String, state: DeadlineState)
    /// Meets the earliest open follow-up visit (`visit:N:party`, lowest N first) that `party` owes in the case.
    case followUpVisit(caseId: String, party: String)
    /// Cancels every open follow-up visit of the case whose `closers` include `closer` (the plan ends).
    case followUpPlan(caseId: String, closer: String)
}

/// A due deadline to fire: only if it is still open is it marked fired (or exhausted when `next` is nil), `next`
/// stored, and the notice and audit record written.
public struct FireUnit: Sendable {
    public var deadlineId: Int64
    public var at: Int64
    public var next: NewDeadline?
    /// The escalation notice the broker sends when it fires (its own "accepted" audit record in `notice.audit`).
    public var notice: AcceptUnit?
    /// The record of the escalation ("escalated").
    public var audit: AuditEvent?

    public init(deadlineId: Int64, at: Int64, next: NewDeadline?, notice: AcceptUnit? = nil, audit: AuditEvent? = nil) {
        self.deadlineId = deadlineId
        self.at = at
        self.next = next
        self.notice = notice
        self.audit = audit
    }
}

/// A pending delivery closed: acked by its recipient or dead-lettered, with the sender's receipt as the machine
/// decided it (its number included: the store writes it, it never numbers receipts). Only if the delivery was
/// pending does the store write the receipt, meet the delivery's deadline (when acked) and write the audit record.
public struct Settlement: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case delivered
        /// `holdCase`: hold (case id, recipient) after this dead letter when the message has a case.
        case deadLettered(reason: String, holdCase: Bool)
    }

    public var seq: Int64
    public var recipient: String
    /// The message's case (nil: none), as the machine knows it: the store does not look it up.
    public var caseId: String?
    public var at: Int64
    public var attempts: Int
    public var firstAttemptAt: Int64?
    public var outcome: Outcome
    /// The receipt's number, unique and increasing (1/RBP §12.4), given by the machine.
    public var receiptId: Int64
    /// The message's sender and id, as the receipt names them.
    public var sender: String
    public var messageId: String
    /// Written confirmed at `at`: a receipt no session will ever confirm (the broker's own notices).
    public var receiptConfirmed: Bool
    /// "acked" or "dead-lettered".
    public var audit: AuditEvent?

    public init(
        seq: Int64, recipient: String, caseId: String?, at: Int64, attempts: Int, firstAttemptAt: Int64?,
        outcome: Outcome, receiptId: Int64, sender: String, messageId: String, receiptConfirmed: Bool = false,
        audit: AuditEvent? = nil
    ) {
        self.seq = seq
        self.recipient = recipient
        self.caseId = caseId
        self.at = at
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.outcome = outcome
        self.receiptId = receiptId
        self.sender = sender
        self.messageId = messageId
        self.receiptConfirmed = receiptConfirmed
        self.audit = audit
    }

    /// The receipt row the settlement writes.
    public var receipt: ReceiptRecord {
        let reason: String?
        if case .deadLettered(let why, _) = outcome { reason = why } else { reason = nil }
        return ReceiptRecord(
            id: receiptId, sender: sender, seq: seq, messageId: messageId, recipient: recipient,
            outcome: reason == nil ? 0 : 1, at: at, reason: reason)
    }
}
