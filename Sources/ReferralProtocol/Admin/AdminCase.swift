/// CASE: everything the broker has under a case id.
public struct AdminCase: Sendable, Hashable {
    /// Where a tracked referral case stands (one a `referral.request` opened); absent for a case id known only
    /// from other messages or deadlines.
    public struct Tracking: Sendable, Hashable {
        /// FHIR Task status.
        public var status: String
        public var attempt: Int64
        public var referrer: String?
        public var service: String?
        public var openedAt: Int64?
        public var updatedAt: Int64?

        public init(
            status: String, attempt: Int64, referrer: String?, service: String?, openedAt: Int64?, updatedAt: Int64?
        ) {
            self.status = status
            self.attempt = attempt
            self.referrer = referrer
            self.service = service
            self.openedAt = openedAt
            self.updatedAt = updatedAt
        }
    }

    /// One open deadline of the case.
    public struct Deadline: Sendable, Hashable {
        /// What the item says is awaited, and from whom; nil for an item the broker cannot read.
        public enum Awaiting: Sendable, Hashable {
            case delivery(seq: Int64, party: String)
            case answer(kinds: [String], party: String)
            case followUpVisit(number: Int64, party: String)
        }

        public var id: Int64
        /// Raw: `delivery:<seq>:<node>`, `answer:<node>:<kinds>` or `visit:<n>:<node>`.
        public var item: String
        public var dueAt: Int64
        public var level: Int64
        public var risk: String?
        public var awaiting: Awaiting?

        public init(id: Int64, item: String, dueAt: Int64, level: Int64, risk: String?, awaiting: Awaiting?) {
            self.id = id
            self.item = item
            self.dueAt = dueAt
            self.level = level
            self.risk = risk
            self.awaiting = awaiting
        }
    }

    public var caseId: String
    public var tracking: Tracking?
    public var deadlines: [Deadline]
    /// The case has more open deadlines than `deadlines` holds.
    public var deadlinesTruncated: Bool
    public var events: [AdminTrailEvent]

    public init(
        caseId: String, tracking: Tracking?, deadlines: [Deadline], deadlinesTruncated: Bool,
        events: [AdminTrailEvent]
    ) {
        self.caseId = caseId
        self.tracking = tracking
        self.deadlines = deadlines
        self.deadlinesTruncated = deadlinesTruncated
        self.events = events
    }
}
