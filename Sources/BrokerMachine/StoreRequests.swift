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

/// Work the machine (and the shell's admin code) hands to the store thread.
public enum StoreRequest: Sendable {
    case accept(PendingAccept)
    case persist(PersistOp)
    /// Bodies for deliveries whose message is not in the machine's cache.
    case load(seqs: [Int64])
    case trail(TrailQuery, replyTo: AdminPeer)
    /// ADMIN CASE: the case row, the trail of its messages and its open deadlines.
    case caseInfo(caseId: String, replyTo: AdminPeer)
    /// A record of the tamper-evident audit trail, in the same commit as what it records.
    case audit(AuditEvent)
    case verifyAudit(replyTo: AdminPeer)
    case exportAudit(since: Int64, limit: Int?, replyTo: AdminPeer)
    /// The next window of open deadlines due before `before` (at most `limit`).
    case dueDeadlines(before: Int64, limit: Int)
    /// Fire a due deadline (idempotent).
    case fire(FireRequest)
    /// ADMIN OVERDUE.
    case overdue(now: Int64, region: String?, agency: String?, risk: String?, replyTo: AdminPeer)
}

/// Everything the broker has under one case id, as committed (ADMIN CASE). A case id can have messages and
/// deadlines without a case row: only `referral.request` opens a tracked case, while e.g. a discharge notice
/// with a follow-up plan has messages, and a crisis alert with a case deadlines, in a case of their own.
public struct CaseInfo: Sendable {
    /// At most this many open deadlines are read (a case has a handful; this only bounds the reply).
    public static let deadlineLimit = 100

    public var caseId: String
    /// Nil when no `referral.request` opened the case.
    public var record: CaseRecord?
    public var events: [TrailEntry]
    /// Open deadlines, by due time then id, at most `deadlineLimit`.
    public var deadlines: [DeadlineRecord]
    /// More open deadlines exist than `deadlines` holds.
    public var deadlinesTruncated: Bool

    /// The broker has nothing at all under this case id (ADMIN CASE answers NOT_FOUND).
    public init(
        caseId: String, record: CaseRecord?, events: [TrailEntry], deadlines: [DeadlineRecord], deadlinesTruncated: Bool
    ) {
        self.caseId = caseId
        self.record = record
        self.events = events
        self.deadlines = deadlines
        self.deadlinesTruncated = deadlinesTruncated
    }

    public var isEmpty: Bool { record == nil && events.isEmpty && deadlines.isEmpty }
}

public enum TrailQuery: Sendable, Hashable {
    case message(sender: String, id: String)
    case caseId(String)
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
    case loaded([StoredMessage], missing: [Int64])
    case trail([TrailEntry], replyTo: AdminPeer)
    case trailFailed(reason: String, replyTo: AdminPeer)
    case caseInfo(CaseInfo, replyTo: AdminPeer)
    case auditVerified(AuditVerification, replyTo: AdminPeer)
    case auditExported([AuditRecordRow], replyTo: AdminPeer)
    case dueDeadlines([DeadlineRecord], before: Int64, limit: Int)
    case dueDeadlinesFailed
    /// A fire request was committed (`fired` false: the deadline was no longer open, or the commit failed).
    case fired(deadlineId: Int64, fired: Bool, nextDue: Int64?)
    case overdue([DeadlineRecord], replyTo: AdminPeer)
}

/// Where an admin reply goes: the client's routing id, and whether its request began with the empty delimiter
/// of a REQ socket, which the reply must carry back.
public struct AdminPeer: Sendable, Hashable {
    public var routingId: [UInt8]
    public var delimited: Bool

    public init(routingId: [UInt8], delimited: Bool) {
        self.routingId = routingId
        self.delimited = delimited
    }
}
