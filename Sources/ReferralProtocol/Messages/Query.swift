/// QUERY (node → broker): a read-only question about what the broker tracks for the node (1/RBP §7.14, 1.6).
/// The broker answers ANSWER with the same `ref`, or ERROR carrying `ref`.
public struct Query: Sendable, Hashable {
    /// What is asked.
    public enum Subject: Sendable, Hashable {
        /// One case, as far as the node may see it (a lowercase case id after decoding).
        case caseView(caseId: String)
        /// The node's overdue items, at most `limit` (1...`Query.maxLimit`).
        case overdue(limit: Int)
    }

    /// Chosen by the node to match the answer (message-id grammar).
    public var ref: String
    public var subject: Subject

    public init(ref: String, subject: Subject) {
        self.ref = ref
        self.subject = subject
    }

    /// The `limit` of an overdue query that names none.
    public static let defaultLimit = 20
    /// The largest `limit` of an overdue query.
    public static let maxLimit = 100
    /// Wire names of `what`.
    static let caseWhat = "case"
    static let overdueWhat = "overdue"
}

/// ANSWER (broker → node): what a QUERY asked, as far as the node may see it (1/RBP §7.15, 1.6).
public struct Answer: Sendable, Hashable {
    public enum Result: Sendable, Hashable {
        case caseView(CaseView)
        case overdue(OverdueView)
    }

    public var ref: String
    public var result: Result

    public init(ref: String, result: Result) {
        self.ref = ref
        self.result = result
    }
}

/// A case as one node may see it: its status members (a tracked referral case only), its deadlines that concern
/// the node, and the events of the messages the node sent or received. Never a body.
public struct CaseView: Sendable, Hashable {
    public var caseId: String
    /// FHIR Task status; nil for a case id no `referral.request` opened (a follow-up plan, a crisis alert).
    public var status: String?
    public var attempt: Int64?
    public var referrer: String?
    public var service: String?
    public var openedAt: Int64?
    public var updatedAt: Int64?
    /// Open deadlines, by due time.
    public var deadlines: [DeadlineView]
    /// By time.
    public var events: [EventView]
    /// The broker left something out (more than the answer can hold).
    public var truncated: Bool

    public init(
        caseId: String, status: String? = nil, attempt: Int64? = nil, referrer: String? = nil, service: String? = nil,
        openedAt: Int64? = nil, updatedAt: Int64? = nil, deadlines: [DeadlineView] = [], events: [EventView] = [],
        truncated: Bool = false
    ) {
        self.caseId = caseId
        self.status = status
        self.attempt = attempt
        self.referrer = referrer
        self.service = service
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.deadlines = deadlines
        self.events = events
        self.truncated = truncated
    }
}

/// The overdue items one node may see, oldest due first.
public struct OverdueView: Sendable, Hashable {
    public var items: [DeadlineView]
    /// More items matched than the answer holds.
    public var truncated: Bool

    public init(items: [DeadlineView], truncated: Bool = false) {
        self.items = items
        self.truncated = truncated
    }
}

/// One open deadline: what is awaited, from whom, by when.
public struct DeadlineView: Sendable, Hashable {
    /// `delivery` (the party's ACK of message `seq`), `answer` (the party's business answer), `visit` (follow-up
    /// visit `number`).
    public enum Awaiting: String, Sendable, Hashable {
        case delivery, answer, visit
    }

    public var id: Int64
    /// In overdue answers only (a case answer is about one case).
    public var caseId: String?
    public var awaiting: Awaiting
    public var party: String
    public var seq: Int64?
    public var number: Int64?
    public var dueAt: Int64
    /// 0 before the first escalation; each escalation step adds one.
    public var level: Int64
    public var risk: String?

    public init(
        id: Int64, caseId: String? = nil, awaiting: Awaiting, party: String, seq: Int64? = nil, number: Int64? = nil,
        dueAt: Int64, level: Int64, risk: String? = nil
    ) {
        self.id = id
        self.caseId = caseId
        self.awaiting = awaiting
        self.party = party
        self.seq = seq
        self.number = number
        self.dueAt = dueAt
        self.level = level
        self.risk = risk
    }
}

/// One event of a message's trail (accepted, delivered, acked, ...), headers only.
public struct EventView: Sendable, Hashable {
    public var at: Int64
    /// The trail's event name (ADMIN-1 TRAIL).
    public var event: String
    public var seq: Int64
    /// The message's id, as its sender chose it.
    public var id: String
    public var from: String
    public var recipient: String?
    public var attempt: Int64?

    public init(
        at: Int64, event: String, seq: Int64, id: String, from: String, recipient: String? = nil, attempt: Int64? = nil
    ) {
        self.at = at
        self.event = event
        self.seq = seq
        self.id = id
        self.from = from
        self.recipient = recipient
        self.attempt = attempt
    }
}
