/// The repair commands of ADMIN-1 (protocols/ADMIN-1.md: DEAD-LETTERS, DEAD-LETTER, REDRIVE, DISCARD, HELD,
/// RELEASE): their arguments and results.
public enum AdminRepair {
    /// DEAD-LETTERS' filters and page; nil is no filter.
    public struct Query: Sendable, Hashable {
        /// The dead letter's recipient.
        public var node: String?
        public var sender: String?
        public var kind: String?
        /// A literal substring of the reason.
        public var reason: String?
        /// Dead-lettered at least this long ago.
        public var olderThanMs: Int64?
        /// Dead-lettered at or after this time.
        public var since: Int64?
        /// At most this many (nil: 100; at most 1000).
        public var limit: Int64?
        /// The previous page's `next_cursor`.
        public var cursor: String?

        public static let defaultLimit: Int64 = 100
        public static let maxLimit: Int64 = 1000

        public init(
            node: String? = nil, sender: String? = nil, kind: String? = nil, reason: String? = nil,
            olderThanMs: Int64? = nil, since: Int64? = nil, limit: Int64? = nil, cursor: String? = nil
        ) {
            self.node = node
            self.sender = sender
            self.kind = kind
            self.reason = reason
            self.olderThanMs = olderThanMs
            self.since = since
            self.limit = limit
            self.cursor = cursor
        }
    }

    /// A page cursor: the last (seq, recipient) of a page, written `SEQ:RECIPIENT`.
    public struct Cursor: Sendable, Hashable {
        public var seq: Int64
        public var recipient: String

        public init(seq: Int64, recipient: String) {
            self.seq = seq
            self.recipient = recipient
        }

        public init?(_ text: String) {
            guard let colon = text.firstIndex(of: ":"), let seq = Int64(text[..<colon]), seq >= 0 else { return nil }
            let recipient = String(text[text.index(after: colon)...])
            guard !recipient.isEmpty else { return nil }
            (self.seq, self.recipient) = (seq, recipient)
        }

        public var text: String { "\(seq):\(recipient)" }
    }

    /// One dead letter of the list (never a body).
    public struct DeadLetter: Sendable, Hashable {
        public var seq: Int64
        public var messageId: String
        public var sender: String
        public var recipient: String
        public var kind: String
        public var caseId: String?
        /// `crisis`, `urgent` or `routine`.
        public var priority: String
        public var deadLetteredAt: Int64
        public var reason: String
        public var attempts: Int64

        public init(
            seq: Int64, messageId: String, sender: String, recipient: String, kind: String, caseId: String?,
            priority: String, deadLetteredAt: Int64, reason: String, attempts: Int64
        ) {
            self.seq = seq
            self.messageId = messageId
            self.sender = sender
            self.recipient = recipient
            self.kind = kind
            self.caseId = caseId
            self.priority = priority
            self.deadLetteredAt = deadLetteredAt
            self.reason = reason
            self.attempts = attempts
        }
    }

    /// DEAD-LETTERS.
    public struct List: Sendable, Hashable {
        public var deadLetters: [DeadLetter]
        /// Present when more may follow: pass it as `cursor` for the next page.
        public var nextCursor: String?

        public init(deadLetters: [DeadLetter], nextCursor: String?) {
            self.deadLetters = deadLetters
            self.nextCursor = nextCursor
        }
    }

    /// DEAD-LETTER: one dead letter with its message's headers, its body's size and SHA-256 (absent once the body
    /// is purged, then `bodyPurged`), and the delivery's trail.
    public struct Detail: Sendable, Hashable {
        public var letter: DeadLetter
        public var recipients: [String]
        public var acceptedAt: Int64
        public var bodyOctets: Int64?
        public var bodySHA256: String?
        public var bodyPurged: Bool
        public var events: [AdminTrailEvent]

        public init(
            letter: DeadLetter, recipients: [String], acceptedAt: Int64, bodyOctets: Int64?, bodySHA256: String?,
            bodyPurged: Bool, events: [AdminTrailEvent]
        ) {
            self.letter = letter
            self.recipients = recipients
            self.acceptedAt = acceptedAt
            self.bodyOctets = bodyOctets
            self.bodySHA256 = bodySHA256
            self.bodyPurged = bodyPurged
            self.events = events
        }
    }

    /// REDRIVE: the delivery now pending (`to`: the node it goes to) and whether the held lane it headed was released.
    public struct Redriven: Sendable, Hashable {
        public var seq: Int64
        public var recipient: String
        public var to: String
        public var released: Bool

        public init(seq: Int64, recipient: String, to: String, released: Bool) {
            (self.seq, self.recipient, self.to, self.released) = (seq, recipient, to, released)
        }
    }

    /// DISCARD.
    public struct Discarded: Sendable, Hashable {
        public var seq: Int64
        public var recipient: String
        public var released: Bool

        public init(seq: Int64, recipient: String, released: Bool) {
            (self.seq, self.recipient, self.released) = (seq, recipient, released)
        }
    }

    /// One held lane (HELD) and RELEASE's result: the case, the recipient, the dead letter holding it and since when;
    /// HELD adds how many deliveries wait and the dead letter's reason.
    public struct HeldLane: Sendable, Hashable {
        public var caseId: String
        public var recipient: String
        public var seq: Int64
        public var since: Int64
        public var waiting: Int64?
        public var reason: String?

        public init(caseId: String, recipient: String, seq: Int64, since: Int64, waiting: Int64?, reason: String?) {
            self.caseId = caseId
            self.recipient = recipient
            self.seq = seq
            self.since = since
            self.waiting = waiting
            self.reason = reason
        }
    }
}
