import ReferralProtocol
import StoreModel

/// Milliseconds since the Unix epoch. The core never reads a clock: every call passes `now`.
public typealias Millis = Int64

/// Tunables of the delivery scheduler; the daemon fills them from its configuration.
public struct SchedulerConfig: Sendable, Hashable {
    /// An in-flight delivery without ACK is sent again after this long.
    public var ackTimeoutMs: Millis = 30_000
    /// Backoff after a failed attempt: initial * 2^(attempt-1), capped at max.
    public var initialBackoffMs: Millis = 1_000
    public var maxBackoffMs: Millis = 60_000
    /// After this many attempts (or a permanent NACK) the delivery is dead-lettered.
    public var maxAttempts: Int = 10
    /// Receipts outstanding (sent, not confirmed) per session, and when to resend one.
    public var receiptWindow: Int = 256
    public var receiptResendMs: Millis = 30_000
    /// Application heartbeat: the broker pings every interval; a node silent for
    /// `liveness` intervals plus `transferAllowanceMs` is dead.
    public var heartbeatMs: Millis = 5_000
    public var liveness: Int = 3
    /// How long the largest message takes on the slowest supported link (1/RBP §11.1): a node
    /// uploading one says nothing else meanwhile.
    public var transferAllowanceMs: Millis = 0
    /// The slowest supported link, in octets per second: a delivery's ACK timeout starts after
    /// the octets in flight to its session (its own included) could have crossed it.
    public var linkOctetsPerSecond: Int64 = 20_000
    /// A delivery the ROUTER could not take (peer at its high-water mark) waits this long.
    public var sendRetryMs: Millis = 100
    /// How many completed (node, seq) pairs are remembered so a late duplicate ACK is ignored
    /// instead of answered with UNKNOWN_DELIVERY.
    public var completedMemory: Int = 65_536
    /// Open deliveries kept in memory per recipient, and unconfirmed receipts per sender; more wait in the store and
    /// are read a page at a time (docs/DESIGN.md). A few times the largest session window, so that a refill asked
    /// for at half keeps the window full; about 200 octets each.
    public var deliveryMemory: Int = 8_192
    public var receiptMemory: Int = 8_192

    public init() {}

    func backoff(afterAttempt attempt: Int) -> Millis {
        let exponent = min(max(attempt - 1, 0), 30)
        let delay = initialBackoffMs.multipliedReportingOverflow(by: Millis(1) << Millis(exponent))
        return delay.overflow ? maxBackoffMs : min(delay.partialValue, maxBackoffMs)
    }
}

/// One recipient's copy of an accepted message, as the core needs it (no body).
public struct DeliveryInfo: Sendable, Hashable {
    public var seq: Int64
    /// The message's sender and id: what its receipt names when the delivery is settled.
    public var sender: String
    public var messageId: String
    public var recipient: String
    public var caseId: String?
    public var priority: Priority
    /// Attempts already made (from the store after a restart; 0 for a new message).
    public var attempts: Int
    /// The DELIVER's size on the wire as far as it is known (body and header; 0: unknown).
    public var octets: Int

    public init(
        seq: Int64, sender: String, messageId: String, recipient: String, caseId: String?, priority: Priority,
        attempts: Int = 0, octets: Int = 0
    ) {
        self.seq = seq
        self.sender = sender
        self.messageId = messageId
        self.recipient = recipient
        self.caseId = caseId
        self.priority = priority
        self.attempts = attempts
        self.octets = octets
    }
}

/// A durable receipt for a sender: one recipient's copy was delivered or dead-lettered.
public struct ReceiptInfo: Sendable, Hashable {
    public var id: Int64
    public var sender: String
    public var seq: Int64
    public var messageId: String
    public var recipient: String
    public var outcome: ReceiptOutcome
    public var at: Millis
    public var reason: String?

    public init(
        id: Int64, sender: String, seq: Int64, messageId: String, recipient: String, outcome: ReceiptOutcome,
        at: Millis, reason: String?
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

/// A delivery closed for good (acked or dead-lettered) and the sender's receipt, decided together: the receipt
/// (its number included) is the scheduler's, the store only writes it. Its seq, recipient, time, outcome and
/// reason are the settlement's.
public struct SettledDelivery: Sendable, Hashable {
    public var receipt: ReceiptInfo
    public var attempts: Int
    public var firstAttemptAt: Millis?
    /// The message's case (nil: none), so the store needs no lookup to meet the delivery's deadline or hold the case.
    public var caseId: String?
    /// A dead letter of a message with a case: the (case, recipient) lane is held behind it.
    public var holdCase: Bool
    /// The receipt needs no RECEIPT-ACK (the broker's own notices: no session will ever confirm them), so it is
    /// written confirmed. The scheduler leaves it false; the machine sets it.
    public var receiptConfirmed = false

    public init(receipt: ReceiptInfo, attempts: Int, firstAttemptAt: Millis?, caseId: String?, holdCase: Bool) {
        self.receipt = receipt
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.caseId = caseId
        self.holdCase = holdCase
    }
}

/// What the store must make durable. The shell batches these into its next group commit.
public enum PersistOp: Sendable, Hashable {
    case settled(SettledDelivery)
    case receiptConfirmed(id: Int64, at: Millis)
    /// An exceptional trail event (retry, NACK, timeout, session loss).
    case event(at: Millis, seq: Int64, recipient: String?, event: TrailEventName, attempt: Int?, detail: String?)
}

/// What the core asks the shell to do. The shell carries these out in order.
public enum Effect: Sendable, Hashable {
    /// Send DELIVER for this message to the node's current session.
    case deliver(node: String, seq: Int64, attempt: Int)
    /// Send RECEIPT to the node's current session.
    case sendReceipt(node: String, receipt: ReceiptInfo)
    case ping(node: String)
    /// The node's session is over (silence, takeover or BYE); the shell forgets its routing id.
    case sessionEnded(node: String, session: UInt64, reason: SessionEndReason)
    case persist(PersistOp)
    /// Read the next page of the node's open deliveries from the store (seq after `afterSeq`, ascending, at most
    /// `limit`) and hand it back with `deliveriesLoaded` (or `pageFailed`).
    case loadDeliveries(node: String, afterSeq: Int64, limit: Int)
    /// Read the next page of the node's unconfirmed receipts (id after `afterId`), for `receiptsLoaded`.
    case loadReceipts(node: String, afterId: Int64, limit: Int)
    /// Read the next page of a released (case, recipient) lane: its open deliveries with seq in (`afterSeq`,
    /// `throughSeq`], ascending, at most `limit`, for `laneLoaded` (or `lanePageFailed`).
    case loadLane(node: String, caseId: String, afterSeq: Int64, throughSeq: Int64, limit: Int)
}

public enum SessionEndReason: String, Sendable, Hashable {
    case bye
    case heartbeatExpired = "heartbeat-expired"
    case takenOver = "taken-over"
    case fatalError = "fatal-error"
    /// The transport reports the peer gone (ROUTER: host unreachable).
    case disconnected
    /// The broker is stopping.
    case shutdown
}

/// A node as shown by `referralctl status`.
public struct NodeStatus: Sendable, Hashable {
    public var node: String
    public var connected: Bool
    public var pending: Int
    public var inFlight: Int
    public var deadLetters: Int
    public var receiptsPending: Int
}

/// A (case, recipient) pair whose lane is held after a dead letter.
public struct HeldLane: Sendable, Hashable {
    public var caseId: String
    public var recipient: String
    public var seq: Int64
    public var since: Millis

    public init(caseId: String, recipient: String, seq: Int64, since: Millis) {
        self.caseId = caseId
        self.recipient = recipient
        self.seq = seq
        self.since = since
    }
}

/// The answer to an ACK or NACK.
public enum AckResult: Sendable, Hashable {
    /// The delivery was open for this node and is now settled (or rescheduled, for a NACK).
    case applied
    /// It was settled before (a late duplicate): ignore silently.
    case alreadySettled
    /// It may wait in the store beyond the node's memory (after a restart): ignore silently; it is sent again once
    /// loaded and answered again.
    case notLoaded
    /// This node never had this delivery: answer UNKNOWN_DELIVERY.
    case unknown
}
