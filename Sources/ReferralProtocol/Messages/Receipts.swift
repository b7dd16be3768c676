/// RECEIPT (broker → node): the outcome of one delivery of the node's message (1/RBP §7.9).
public struct Receipt: Sendable, Hashable {
    /// The receipt's number; confirm it with RECEIPT-ACK.
    public var receipt: Int64
    public var seq: Int64
    /// The sender's message id.
    public var id: String
    public var recipient: String
    public var outcome: ReceiptOutcome
    /// Milliseconds since the Unix epoch.
    public var at: Int64
    /// Why, for a dead letter.
    public var reason: String?

    public init(
        receipt: Int64, seq: Int64, id: String, recipient: String, outcome: ReceiptOutcome, at: Int64,
        reason: String? = nil
    ) {
        self.receipt = receipt
        self.seq = seq
        self.id = id
        self.recipient = recipient
        self.outcome = outcome
        self.at = at
        self.reason = reason
    }
}

/// RECEIPT-ACK (node → broker): the node has recorded the receipt (1/RBP §7.10).
public struct ReceiptAck: Sendable, Hashable {
    public var receipt: Int64

    public init(receipt: Int64) { self.receipt = receipt }
}
