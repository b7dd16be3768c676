import BrokerCore
import ReferralProtocol
import StoreModel

/// A SEND waiting for the group commit, with what is needed to answer it afterwards.
public struct PendingAccept: Sendable {
    public var routingId: [UInt8]
    public var message: NewMessage
    public var priority: Priority
    /// What role addresses resolved to, recorded in the audit trail and the message's trail.
    public var routing: String?
    /// A message that moves a referral case: decided against the case row in the accepting transaction
    /// (`AcceptUnit.caseMove`); nil for a message that is not tracked.
    public var caseCheck: CaseMoveCheck? = nil
    /// Set by the store thread when case tracking refused the move (code, reason): nothing was written.
    public var caseRefusal: CaseRefusal? = nil
    /// Deadlines this message sets (escalation), written in the same batch only if it is stored.
    public var deadlines: [NewDeadline] = []
    /// Deadlines this message meets or ends (case id, item or nil for all, state), closed in the same
    /// batch only if it is stored.
    public var closes: [DeadlineClose] = []
    /// A `followup.visit` or `followup.closed`: its effect on the case's plan, only if it is stored.
    public var followUpMeet: FollowUpMeet? = nil
    /// An escalation notice the broker itself sends: no node waits for an answer.
    public var isNotice = false
}

public struct DeadlineClose: Sendable, Hashable {
    /// Nil: deadlines without a case (a case-less crisis alert's acknowledgments), then `item` is set.
    public var caseId: String?
    public var item: String?
    public var state: DeadlineState
}

/// A due deadline to fire: the fire op, then (only if it fired) the notice and its audit record.
public struct FireRequest: Sendable {
    public var deadlineId: Int64
    public var at: Int64
    public var next: NewDeadline?
    public var notice: PendingAccept?
    public var audit: AuditEvent?
}

public struct CaseRefusal: Sendable, Hashable {
    public var code: ErrorCode
    public var reason: String

    public init(code: ErrorCode, reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// Work the machine hands to the store thread.
public enum StoreRequest: Sendable {
    case accept(PendingAccept)
    case persist(PersistOp)
    /// Bodies for deliveries whose message is not in the machine's cache.
    case load(seqs: [Int64])
    /// An admin command's read, answered to `replyTo` (`BrokerMachine+Admin`).
    case adminRead(AdminRead, replyTo: AdminPeer)
    /// A record of the tamper-evident audit trail, in the same commit as what it records.
    case audit(AuditEvent)
    /// The next window of open deadlines due before `before` (at most `limit`).
    case dueDeadlines(before: Int64, limit: Int)
    /// Fire a due deadline (idempotent).
    case fire(FireRequest)
    /// The next page of a recipient's open deliveries (seq after `afterSeq`, ascending, at most `limit`): read after
    /// every unit submitted before it has committed.
    case openDeliveries(recipient: String, afterSeq: Int64, limit: Int)
    /// The next page of a sender's unconfirmed receipts (id after `afterId`, ascending, at most `limit`).
    case unconfirmedReceipts(sender: String, afterId: Int64, limit: Int)
    /// An operator's repair (REDRIVE, DISCARD, RELEASE) with its audit record, in one transaction.
    case repair(RepairUnit, replyTo: AdminPeer)
    /// The next page of a released lane (seq in (`afterSeq`, `throughSeq`], ascending, at most `limit`).
    case lanePage(recipient: String, caseId: String, afterSeq: Int64, throughSeq: Int64, limit: Int)
    /// One step of a purge run (retention), in a transaction of its own after the batch it came with.
    case purge(PurgeStep)
    /// An operator's node override written with its audit record (`BrokerMachine+NodeAdmin`).
    case nodeOverride(NodeOverrideWrite)
    /// NODE-MOVE-BACKLOG's one transaction, answered to `replyTo`.
    case moveBacklog(BacklogMove, replyTo: AdminPeer)
    /// A node's QUERY's read (`BrokerMachine+Queries`), answered to the node of the ticket.
    case nodeQuery(NodeQueryRead, NodeQueryTicket)
}

/// A node's override row to write (nil: delete it) with its audit record; once committed, `reply` goes to its peer.
/// `previous` is what the machine had before, put back if the commit fails.
public struct NodeOverrideWrite: Sendable {
    public var node: String
    public var override: NodeOverride?
    public var previous: NodeOverride?
    public var audit: AuditEvent?
    public var reply: (peer: AdminPeer, result: AdminResult)?

    public init(
        node: String, override: NodeOverride?, previous: NodeOverride?, audit: AuditEvent?,
        reply: (peer: AdminPeer, result: AdminResult)?
    ) {
        self.node = node
        self.override = override
        self.previous = previous
        self.audit = audit
        self.reply = reply
    }
}

/// What the store thread reports back after each commit.
public enum StoreCompletion: Sendable {
    case accepted(PendingAccept, AcceptResult)
    case acceptFailed(PendingAccept, reason: String)
    /// Case tracking refused it and it is not a resend of a stored message: REJECTED with its refusal.
    case caseRefused(PendingAccept)
    /// A settlement's batch committed: `stored`, its receipt is durable; false, the delivery was no longer pending in
    /// the store and nothing was written (its receipt is dropped, its number unused).
    case settled(SettledDelivery, stored: Bool)
    /// The messages asked for by `load`, in the order asked for (the order their DELIVERs go out), and the missing.
    case loaded([StoredMessage], missing: [Int64])
    /// What an admin read found (or that it failed), for the machine to answer.
    case adminRead(AdminReadResult, replyTo: AdminPeer)
    case dueDeadlines([DeadlineRecord], before: Int64, limit: Int)
    case dueDeadlinesFailed
    /// A page of open deliveries as asked by `StoreRequest.openDeliveries` (nil: the read failed).
    case openDeliveries(recipient: String, limit: Int, [OpenDelivery]?)
    /// A page of unconfirmed receipts as asked by `StoreRequest.unconfirmedReceipts` (nil: the read failed).
    case unconfirmedReceipts(sender: String, limit: Int, [ReceiptRecord]?)
    /// A fire request was committed (`fired` false: the deadline was no longer open, or the commit failed).
    case fired(deadlineId: Int64, fired: Bool, nextDue: Int64?)
    /// A repair's batch committed (`result`), or failed (nil: nothing changed).
    case repaired(RepairUnit.Action, RepairResult?, replyTo: AdminPeer)
    /// A page of a released lane as asked by `StoreRequest.lanePage` (nil: the read failed).
    case lanePage(recipient: String, caseId: String, limit: Int, [OpenDelivery]?)
    /// A purge step's result (nil: it failed, nothing of it was written).
    case purged(PurgeStepResult?)
    /// A node override's batch committed (`stored`) or failed.
    case nodeOverride(NodeOverrideWrite, stored: Bool)
    /// A backlog move committed (nil: its batch failed; nothing moved).
    case backlogMoved(BacklogMove, BacklogMoved?, replyTo: AdminPeer)
    /// What a node's query read.
    case nodeQuery(NodeQueryReadResult, NodeQueryTicket)
}
