/// SEND (node → broker): hands a message to the broker (1/RBP §7.3).
public struct Send: Sendable, Hashable {
    /// The sender's message id (message-id grammar), unique among its messages forever.
    public var id: String
    /// 1...maxRecipients distinct addresses (`Identifiers.isValidAddress`): node ids, `node:ID` or
    /// `role:AGENCY/KIND@DIVISION`, which the broker resolves to node ids (1/RBP §7.3).
    public var to: [String]
    public var kind: String
    /// A lowercase canonical UUID after decoding.
    public var caseId: String?
    public var priority: Priority
    /// Opaque; empty when the SEND has no body frame.
    public var body: [UInt8]
    /// The follow-up plan of a `discharge.notice` (1/RBP §7.3.2); only with that kind and a case.
    public var followUp: FollowUpHeader?

    public init(
        id: String, to: [String], kind: String, caseId: String? = nil, priority: Priority, body: [UInt8] = [],
        followUp: FollowUpHeader? = nil
    ) {
        self.id = id
        self.to = to
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.body = body
        self.followUp = followUp
    }
}

/// ACCEPTED (broker → node): the message is on disk (1/RBP §7.4).
public struct Accepted: Sendable, Hashable {
    public var id: String
    public var seq: Int64
    /// The message had been accepted before; this is the original seq.
    public var duplicate: Bool
    /// How many nodes the addresses resolved to when the message was stored: the receipts the sender will get.
    /// Optional on the wire (a broker before 1/RBP 1.4 leaves it out).
    public var recipients: Int?

    public init(id: String, seq: Int64, duplicate: Bool = false, recipients: Int? = nil) {
        self.id = id
        self.seq = seq
        self.duplicate = duplicate
        self.recipients = recipients
    }
}

/// REJECTED (broker → node): the SEND was refused and nothing was stored (1/RBP §7.5).
public struct Rejected: Sendable, Hashable {
    public var id: String
    public var code: ErrorCode
    /// Whether resending the identical SEND later may succeed.
    public var retry: Bool
    /// Human text, at most 200 characters, never payload content.
    public var reason: String
    /// With BAD_FIELD: the offending header member.
    public var field: String?
    /// With UNKNOWN_RECIPIENT, RECIPIENT_SUSPENDED and the address codes (BAD_ADDRESS,
    /// UNKNOWN_AGENCY, UNKNOWN_KIND, UNKNOWN_DIVISION, NO_MATCHING_NODE): the offending address,
    /// as the sender wrote it in `to`.
    public var recipient: String?

    public init(
        id: String, code: ErrorCode, retry: Bool, reason: String, field: String? = nil, recipient: String? = nil
    ) {
        self.id = id
        self.code = code
        self.retry = retry
        self.reason = reason
        self.field = field
        self.recipient = recipient
    }
}
