// Value types of the durable case rows and deadlines (issue 4, "Durable timers"). No GRDB types leak out.
//
// A deadline is a row: the row is the timer. It is written in the same transaction as the state change that sets
// it (an `AcceptUnit`), fired idempotently (a `FireUnit` acts only while the row is still open), and
// read back in small windows ordered by (due_at, id), so open deadlines are never all held in memory.

/// Where a case stands, as the broker keeps it (one row per case id).
public struct CaseRecord: Sendable, Hashable {
    public var caseId: String
    /// The case's status (FHIR Task status names: "requested", "received", "accepted", ...).
    public var status: String
    /// Node id of the referrer.
    public var referrer: String?
    /// Node id of the service the current referral goes to.
    public var service: String?
    /// 1 for the first referral of the case, + 1 for each re-route after a decline.
    public var attempt: Int
    public var openedAt: Int64?
    public var updatedAt: Int64?
    /// Risk level name ("routine", "urgent", "crisis", ...).
    public var risk: String?

    public init(
        caseId: String, status: String, referrer: String? = nil, service: String? = nil, attempt: Int = 1,
        openedAt: Int64? = nil, updatedAt: Int64? = nil, risk: String? = nil
    ) {
        self.caseId = caseId
        self.status = status
        self.referrer = referrer
        self.service = service
        self.attempt = attempt
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.risk = risk
    }
}

/// The state of a deadline row. Only `open` rows are timers; every other state is final.
public enum DeadlineState: Int, Sendable, Hashable, CaseIterable {
    /// Waiting for its item.
    case open = 0
    /// The awaited item arrived (closed by a `DeadlineClosing`).
    case met = 1
    /// Passed and fired; the next level's deadline replaced it (a `FireUnit` with a next).
    case fired = 2
    /// Passed and fired at the last level: nothing follows (a `FireUnit` without a next).
    case exhausted = 3
    /// No longer awaited (case cancelled, plan closed).
    case cancelled = 4
}

/// What a new deadline waits for: its row's `item`, the key that meets it (CaseCore's `Awaited.encoded`).
public enum DeadlineItem: Sendable, Hashable {
    /// The delivery of the message whose accept unit sets the deadline to this node: stored as
    /// `delivery:<seq>:<node>` with that message's seq (known only once it is stored). Only in an accept unit.
    case deliveryOfArmingMessage(to: String)
    /// Any other item, stored as given: `answer:<node>:<kinds>`, `visit:<n>:<node>`, `delivery:<seq>:<node>`.
    case text(String)
}

/// What an escalation notice names about the item whose deadline fired: stored in columns of the deadline row, so
/// that firing reads nothing else.
public struct DeadlineNotice: Sendable, Hashable {
    /// The kind of the message that set the item's first deadline.
    public var kind: String
    /// Its seq. Nil only in an accept unit: the message that unit stores.
    public var armedBy: Int64?
    public var sender: String
    public var messageId: String
    /// When the item's first deadline was due (milliseconds).
    public var originalDue: Int64

    public init(kind: String, armedBy: Int64?, sender: String, messageId: String, originalDue: Int64) {
        self.kind = kind
        self.armedBy = armedBy
        self.sender = sender
        self.messageId = messageId
        self.originalDue = originalDue
    }
}

/// A deadline to be stored (state open).
public struct NewDeadline: Sendable, Hashable {
    public var caseId: String?
    /// What is awaited, e.g. "answer:<node>:<kinds>", "delivery:<seq>:<recipient>", "visit:2:<node>".
    public var item: DeadlineItem
    /// When it falls due (milliseconds, the broker's clock).
    public var dueAt: Int64
    /// Escalation level this deadline leads to when it fires (0 = the first).
    public var level: Int
    public var notice: DeadlineNotice
    /// The policy values that apply (CaseCore's `PolicySnapshot.encoded`), so later policy edits don't rewrite
    /// running escalations. Opaque to the store.
    public var policy: String
    public var createdAt: Int64?
    /// Division code the item belongs to (for `overdue` filters).
    public var region: String?
    /// Agency responsible for the item (for `overdue` filters).
    public var agency: String?
    /// Risk level name (for `overdue` filters).
    public var risk: String?
    /// Follow-up visits only: the nodes whose `followup.closed` ends this deadline (`DeadlineClosing.followUpPlan`).
    public var closers: [String]?

    public init(
        caseId: String?, item: DeadlineItem, dueAt: Int64, level: Int = 0, notice: DeadlineNotice, policy: String,
        createdAt: Int64? = nil, region: String? = nil, agency: String? = nil, risk: String? = nil,
        closers: [String]? = nil
    ) {
        self.closers = closers
        self.caseId = caseId
        self.item = item
        self.dueAt = dueAt
        self.level = level
        self.notice = notice
        self.policy = policy
        self.createdAt = createdAt
        self.region = region
        self.agency = agency
        self.risk = risk
    }
}

/// A stored deadline.
public struct DeadlineRecord: Sendable, Hashable {
    /// Assigned by the store; never reused (deadline rows are never deleted).
    public var id: Int64
    public var caseId: String?
    public var item: String
    public var dueAt: Int64
    public var level: Int
    /// Nil for a row written before the notice had columns of its own whose old text could not be read.
    public var notice: DeadlineNotice?
    public var policy: String
    public var state: DeadlineState
    public var createdAt: Int64?
    /// When it was met, fired, exhausted or cancelled; nil while open.
    public var closedAt: Int64?
    public var region: String?
    public var agency: String?
    public var risk: String?
    /// Follow-up visits only: who may end it with `followup.closed`.
    public var closers: [String]?

    public init(
        id: Int64, caseId: String?, item: String, dueAt: Int64, level: Int, notice: DeadlineNotice?, policy: String,
        state: DeadlineState, createdAt: Int64?, closedAt: Int64?, region: String?, agency: String?, risk: String?,
        closers: [String]? = nil
    ) {
        self.closers = closers
        self.id = id
        self.caseId = caseId
        self.item = item
        self.dueAt = dueAt
        self.level = level
        self.notice = notice
        self.policy = policy
        self.state = state
        self.createdAt = createdAt
        self.closedAt = closedAt
        self.region = region
        self.agency = agency
        self.risk = risk
    }
}

/// How a case-moving message is decided inside the accepting transaction (`AcceptUnit.caseMove`): the
/// store reads the case row and asks `decide`, which is pure (the daemon's case machine), so that the
/// decision always sees every move committed before it, in this batch or earlier, with no copy of the
/// cases in memory.
public struct CaseMoveCheck: Sendable {
    public var caseId: String
    public var decide: @Sendable (CaseRecord?) -> CaseDecision

    public init(caseId: String, decide: @escaping @Sendable (CaseRecord?) -> CaseDecision) {
        self.caseId = caseId
        self.decide = decide
    }
}

/// The answer of `CaseMoveCheck.decide`.
public enum CaseDecision: Sendable, Hashable {
    /// Allowed: the case row as it becomes once the message is stored; `endsCase` when the case is over
    /// (its open deadlines are cancelled).
    case move(CaseRecord, endsCase: Bool)
    /// Refused with this error code and reason.
    case refuse(code: String, reason: String)
}

/// What STATS and /metrics read of the store at each scrape: counts only, never an id.
public struct StoreAggregates: Sendable, Hashable {
    /// Open deadlines of one county (the first 6 digits of the late party's division code) and risk level.
    public struct DeadlineGroup: Sendable, Hashable {
        public var county: String
        public var risk: String
        public var open: Int64
        /// Due by now, or escalated (level 1 or above), as OVERDUE counts them.
        public var overdue: Int64

        public init(county: String, risk: String, open: Int64, overdue: Int64) {
            (self.county, self.risk, self.open, self.overdue) = (county, risk, open, overdue)
        }
    }

    /// Tracked cases that are not completed, failed or cancelled, by status (statuses with none left out).
    public var casesOpen: [String: Int64]
    public var deadlines: [DeadlineGroup]

    public init(casesOpen: [String: Int64], deadlines: [DeadlineGroup]) {
        (self.casesOpen, self.deadlines) = (casesOpen, deadlines)
    }

    /// The FHIR Task statuses of a case that is still open (the others: completed, failed, cancelled).
    public static let openStatuses = ["requested", "received", "accepted", "rejected", "in-progress", "on-hold"]
}
