import BrokerCore
import BrokerStore

/// A SEND waiting for the group commit, with what is needed to answer it afterwards.
struct PendingAccept: Sendable {
    var routingId: [UInt8]
    var message: NewMessage
    var priority: DeliveryPriority
    /// What role addresses resolved to, recorded in the audit trail and the message's trail.
    var routing: String?
    /// The addresses as sent: the content digest (CONFLICT key) is over these, not the resolution.
    var addresses: [String]
}

/// Work the poll thread hands to the store thread.
enum StoreRequest: Sendable {
    case accept(PendingAccept)
    case persist(PersistOp)
    /// Bodies for deliveries whose message is not in the poll thread's cache.
    case load(seqs: [Int64])
    case trail(TrailQuery, replyTo: [UInt8])
    /// A record of the tamper-evident audit trail, in the same commit as what it records.
    case audit(AuditEvent)
    case verifyAudit(replyTo: [UInt8])
    case exportAudit(since: Int64, limit: Int?, replyTo: [UInt8])
}

enum TrailQuery: Sendable, Hashable {
    case message(sender: String, id: String)
    case caseId(String)
}

/// What the store thread reports back after each commit.
enum StoreCompletion: Sendable {
    case accepted(PendingAccept, AcceptResult)
    case acceptFailed(PendingAccept, reason: String)
    case receiptCreated(ReceiptRecord)
    case loaded([StoredMessage], missing: [Int64])
    case trail([TrailEntry], replyTo: [UInt8])
    case trailFailed(reason: String, replyTo: [UInt8])
    case auditVerified(AuditVerification, replyTo: [UInt8])
    case auditExported([AuditRecordRow], replyTo: [UInt8])
}
