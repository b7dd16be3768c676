// The trail of a message (ADMIN-1 TRAIL): its event names and rows.

/// What a trail line says happened. The raw values are the names ADMIN-1 TRAIL shows (and the text stored for the
/// exceptional events): they never change.
public enum TrailEventName: String, Sendable, Hashable, CaseIterable {
    /// Derived from the message row.
    case accepted = "accepted"
    /// Role addresses resolved (stored).
    case routed = "routed"
    /// The sender sent it again (stored).
    case duplicateSend = "duplicate-send"
    /// DELIVER sent: the first attempt is derived from the delivery row, later ones are stored.
    case deliveryAttempt = "delivery-attempt"
    /// Derived from the delivery row.
    case acked = "acked"
    /// Stored: the recipient refused it.
    case nacked = "nacked"
    /// Stored: no ACK in time.
    case ackTimeout = "ack-timeout"
    /// Stored: the recipient's session ended with the delivery in flight.
    case sessionLost = "session-lost"
    /// Stored: back to pending after a failed attempt.
    case redeliveryScheduled = "redelivery-scheduled"
    /// Derived from the delivery row.
    case deadLettered = "dead-lettered"
    /// Stored: waits behind a dead letter of its case.
    case held = "held"
    /// Stored: an operator put the dead letter back as a pending delivery (REDRIVE; `detail`: operator, and the
    /// corrected recipient).
    case redriven = "redriven"
    /// Stored: an operator closed the dead letter for good (DISCARD).
    case discarded = "discarded"
    /// Stored, on the dead letter's trail: an operator released the case's lane behind it (RELEASE, or the dead
    /// letter redriven or discarded).
    case released = "released"
    /// Stored: an operator moved the delivery to a replacement node (`recipient`: the new one; detail names both).
    case moved = "moved"
    /// Derived from the receipt row.
    case receiptCreated = "receipt-created"
    /// Derived from the receipt row.
    case receiptConfirmed = "receipt-confirmed"
    /// Derived from the message row: its body was purged (retention); its headers, digest and trail stay.
    case bodyPurged = "body-purged"
}

/// An exceptional trail event (nack, ack timeout, session lost, attempt >= 2, duplicate send).
/// The ordinary path (accepted, first attempt, acked, dead-lettered, receipts) is derived from columns.
public struct TrailEventRecord: Sendable, Hashable {
    public var at: Int64
    public var seq: Int64
    public var recipient: String?
    public var event: TrailEventName
    public var attempt: Int?
    public var detail: String?

    public init(at: Int64, seq: Int64, recipient: String?, event: TrailEventName, attempt: Int?, detail: String?) {
        self.at = at
        self.seq = seq
        self.recipient = recipient
        self.event = event
        self.attempt = attempt
        self.detail = detail
    }
}

/// One line of a message's or a case's trail. Never contains a body.
public struct TrailEntry: Sendable, Hashable {
    public var at: Int64
    public var event: TrailEventName
    public var seq: Int64
    public var messageId: String
    public var sender: String
    public var recipient: String?
    public var attempt: Int?
    public var detail: String?

    public init(
        at: Int64, event: TrailEventName, seq: Int64, messageId: String, sender: String, recipient: String?,
        attempt: Int?,
        detail: String?
    ) {
        self.at = at
        self.event = event
        self.seq = seq
        self.messageId = messageId
        self.sender = sender
        self.recipient = recipient
        self.attempt = attempt
        self.detail = detail
    }
}

/// A trail line with the keys that order it among lines of the same time and seq: `rank` (what kind of line it
/// is) and `tie` (its row id). Both stores build their trails from these, so both order them alike.
public struct RankedTrailEntry: Sendable, Hashable {
    public var entry: TrailEntry
    public var rank: Int
    public var tie: Int64

    public init(entry: TrailEntry, rank: Int, tie: Int64) {
        self.entry = entry
        self.rank = rank
        self.tie = tie
    }

    /// The trail's order: by time, seq, rank, recipient (none first), then row id.
    public static func inTrailOrder(_ lines: [RankedTrailEntry]) -> [TrailEntry] {
        lines.sorted { a, b in
            if a.entry.at != b.entry.at { return a.entry.at < b.entry.at }
            if a.entry.seq != b.entry.seq { return a.entry.seq < b.entry.seq }
            if a.rank != b.rank { return a.rank < b.rank }
            let ra = a.entry.recipient ?? ""
            let rb = b.entry.recipient ?? ""
            if ra != rb { return ra < rb }
            return a.tie < b.tie
        }.map(\.entry)
    }
}
