import Foundation
import ReferralProtocol

/// A message the application hands to `ReferralNode.send(_:)`.
///
/// `id` is the message's idempotency key at the broker: (this node, id) is stored once, forever. Keep the
/// default (a new UUID) unless the application has its own stable id, e.g. `"test-a:000001"` (1/RBP
/// message-id: 1–128 of `A-Z a-z 0-9 . _ : @ -`). Never reuse an id for different content.
public struct OutgoingMessage: Sendable, Hashable {
    public var id: String
    /// Recipient node ids (1/RBP node-id), distinct, at least one.
    public var to: [String]
    /// Business meaning, e.g. `referral.request` (1/RBP kind).
    public var kind: String
    /// The case the message belongs to (a UUID); messages of one case reach each recipient in order.
    public var caseId: String?
    public var priority: Priority
    /// Opaque payload. Never logged, never put in an error.
    public var body: [UInt8]
    /// A `discharge.notice`'s follow-up plan: the visits the broker expects, who owes them, who may end the
    /// plan (1/RBP §7.3.2). Only with that kind and a case; it must agree with the body's plan.
    public var followUp: FollowUpHeader?
    /// Whether `ReferralNode.send(_:)` checks a body of a business kind (protocols/business/, `BusinessKind`)
    /// against its schema and rules first, with the case and priority the body requires. The broker never
    /// reads bodies, so this is the only check before the recipient's. Turn it off only for a body that is
    /// checked some other way (e.g. a test payload); bodies of other kinds are never checked.
    public var validatesBody: Bool

    public init(
        id: String = UUID().uuidString, to: [String], kind: String, caseId: String? = nil,
        priority: Priority = .routine, body: [UInt8], followUp: FollowUpHeader? = nil, validatesBody: Bool = true
    ) {
        self.id = id
        self.to = to
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.body = body
        self.followUp = followUp
        self.validatesBody = validatesBody
    }
}

/// The broker's answer to a SEND.
public enum SendOutcome: Sendable, Hashable {
    /// The message is on the broker's disk with this sequence number; `duplicate` if it had been accepted before.
    case accepted(seq: Int64, duplicate: Bool)
    /// Refused for good (`retry` false), or, only as `OutboxEntry` history, a retryable refusal.
    /// `outcome(of:)` reports only final rejections: retryable ones are resent automatically.
    case rejected(code: String, retry: Bool, reason: String)
}

/// Where one message of the outbox stands.
public enum OutboxState: String, Sendable, Hashable {
    /// Committed locally, not yet answered by the broker (or answered with a retryable rejection), or accepted by
    /// a broker store that was since lost (a new store epoch) and sent again.
    case queued
    /// ACCEPTED: the broker has it on disk.
    case accepted
    /// REJECTED with `retry: false`: it will never be sent again; the application must act.
    case rejected
}

/// One outbox entry as stored locally (the body is not included; it is dropped once every recipient's receipt is in).
public struct OutboxEntry: Sendable, Hashable {
    public var id: String
    public var to: [String]
    public var kind: String
    public var caseId: String?
    public var priority: Priority
    public var state: OutboxState
    /// The broker's sequence number once accepted.
    public var seq: Int64?
    public var duplicate: Bool
    /// The last rejection's code, reason and offending field/recipient (also kept for a retryable one
    /// while the entry is still queued).
    public var code: String?
    public var reason: String?
    public var field: String?
    public var recipient: String?
    /// How many retryable rejections it has had.
    public var retries: Int
    /// When it was committed locally and when it was finally answered (ms since the epoch).
    public var createdAt: Int64
    public var answeredAt: Int64?

    /// The final outcome, nil while queued.
    public var outcome: SendOutcome? {
        switch state {
        case .queued: nil
        case .accepted: .accepted(seq: seq ?? 0, duplicate: duplicate)
        case .rejected: .rejected(code: code ?? "", retry: false, reason: reason ?? "")
        }
    }
}

/// A RECEIPT from the broker: one recipient's copy of one of this node's messages was delivered (the
/// recipient committed it to its inbox) or dead-lettered.
public struct DeliveryReceipt: Sendable, Hashable {
    /// The broker's receipt number (unique).
    public var receipt: Int64
    /// The message's broker sequence number.
    public var seq: Int64
    /// This node's message id.
    public var messageId: String
    public var recipient: String
    /// true: delivered; false: dead-lettered (see `reason`).
    public var delivered: Bool
    /// When it happened at the broker (ms since the epoch).
    public var at: Int64
    /// Why it was dead-lettered.
    public var reason: String?
}

/// A message in this node's inbox.
///
/// Each message enters the inbox exactly once: (`from`, `id`) is its idempotency key, and redeliveries
/// by the broker are acknowledged but never stored again.
public struct InboxMessage: Sendable, Hashable {
    /// The broker's sequence number.
    public var seq: Int64
    /// The sender's message id; with `from`, the message's idempotency key.
    public var id: String
    public var from: String
    /// Every recipient of the message, in the sender's order.
    public var to: [String]
    public var kind: String
    /// Lowercase case id, if any.
    public var caseId: String?
    public var priority: Priority
    /// When the broker accepted it and when this node stored it (ms since the epoch).
    public var acceptedAt: Int64
    public var receivedAt: Int64
    public var body: [UInt8]
}

/// Errors of the client library. None of them ever contains a message body.
public enum ReferralClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message cannot be sent as it is; `field` is the offending member (`id`, `to`, `kind`, `case`,
    /// `priority`, `followup`, `body`). For `body`, `problem` names the member path, never a value.
    case invalidMessage(field: String, problem: String)
    /// This id is already in the outbox with different content.
    case conflictingId(String)
    /// No outbox entry has this id.
    case unknownMessage(String)
    /// The wait ended before the outcome arrived (the message stays in the outbox).
    case timedOut
    /// The node has been shut down.
    case shutDown
    /// The local store failed (`operation` and a description without data).
    case store(operation: String, cause: String)
    /// Another `ReferralNode` (in this or another process) has this store open: one node, one process.
    case storeInUse(String)

    public var description: String {
        switch self {
        case .invalidMessage(let field, let problem): "invalid message: \(field) \(problem)"
        case .conflictingId(let id): "message id \(id) is already in the outbox with different content"
        case .unknownMessage(let id): "no outbox entry with id \(id)"
        case .timedOut: "timed out"
        case .shutDown: "the node is shut down"
        case .store(let operation, let cause): "local store: \(operation) failed: \(cause)"
        case .storeInUse(let path): "the store \(path) is in use by another process running this node"
        }
    }
}
