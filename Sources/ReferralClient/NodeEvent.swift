/// One entry of the node's event log: a status change of a message this node sent (the broker accepted it, or
/// rejected it for good) or a receipt for one of its recipients. Never holds a body.
///
/// `number` orders the log: it grows with every event, is never reused (also after old events are pruned), and
/// an event is readable only once every smaller number is, so a reader that remembers the last number it handled
/// (`ReferralNode.eventCursor`) misses nothing and sees nothing twice.
public struct NodeEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// ACCEPTED: the broker has the message on disk (`seq`).
        case accepted
        /// REJECTED with `retry: false`: final (`code`, `reason`, `field`, `recipient`).
        case rejected
        /// A receipt: `recipient` has the message (`receipt`, `seq`).
        case delivered
        /// A receipt: the broker gave up delivering to `recipient` (`receipt`, `seq`, `reason`).
        case deadLettered = "dead-lettered"
    }

    public var number: Int64
    public var kind: Kind
    /// This node's message id.
    public var messageId: String
    /// The broker's sequence number (accepted, and receipts).
    public var seq: Int64?
    /// A receipt's recipient, or a rejection's recipient at fault.
    public var recipient: String?
    /// The broker's receipt number (receipts only).
    public var receipt: Int64?
    /// A rejection's 1/RBP code.
    public var code: String?
    /// A rejection's or a dead letter's reason, as the broker wrote it.
    public var reason: String?
    /// A rejection's field at fault.
    public var field: String?
    /// When it happened (ms since the epoch): the broker's time of a receipt, this node's time of an answer.
    public var at: Int64
    /// When this node recorded it (ms since the epoch); what pruning goes by.
    public var recordedAt: Int64

    public init(
        number: Int64, kind: Kind, messageId: String, seq: Int64? = nil, recipient: String? = nil,
        receipt: Int64? = nil, code: String? = nil, reason: String? = nil, field: String? = nil, at: Int64,
        recordedAt: Int64
    ) {
        self.number = number
        self.kind = kind
        self.messageId = messageId
        self.seq = seq
        self.recipient = recipient
        self.receipt = receipt
        self.code = code
        self.reason = reason
        self.field = field
        self.at = at
        self.recordedAt = recordedAt
    }

    /// The receipt this event reports (nil for a status change).
    public var deliveryReceipt: DeliveryReceipt? {
        guard kind == .delivered || kind == .deadLettered, let receipt, let seq, let recipient else { return nil }
        return DeliveryReceipt(
            receipt: receipt, seq: seq, messageId: messageId, recipient: recipient, delivered: kind == .delivered,
            at: at, reason: reason)
    }
}
