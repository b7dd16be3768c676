/// A node's escalation chain as `AgencyDirectory.Directory.escalationChain(of:agency:)` returns
/// it: the supervisor level first, then each level above, one array of node ids per level.
public typealias EscalationChain = [[String]]

/// What the broker sends as an `escalation.notice`: an ordinary durable message to the
/// supervisors of the level reached, with its own delivery and acknowledgment.
///
/// It names the case, the overdue item, the level and the original deadline, and nothing else:
/// never a child's details, never a payload (the brief's privacy rules; the supervisor reads
/// the case through its own system).
public struct EscalationNotice: Sendable, Hashable, Identifiable {
    /// `esc:` + the fired deadline's id: the same firing always makes the same message id, so
    /// the broker stores it once however often the deadline fires.
    public var id: String
    /// Nil only for a crisis alert without a case.
    public var caseId: String?
    /// The kind of the message the overdue item belongs to (`referral.request`, `crisis.alert`,
    /// `discharge.notice`, …) and its broker seq.
    public var kind: String
    public var armedBy: Int64
    /// The overdue item (`Deadline.itemId`) and what it is.
    public var itemId: String
    public var overdue: Awaited
    /// The level of the chain notified: 1 for the party's supervisors, 2 for the level above, …;
    /// a reminder at the top of the climb repeats the top level (each step has its own `id`).
    public var level: Int
    /// The item's first deadline.
    public var originalDue: Int64
    /// The node ids to notify, each once, nearest chain first.
    public var recipients: [String]

    public init(
        id: String, caseId: String?, kind: String, armedBy: Int64, itemId: String, overdue: Awaited, level: Int,
        originalDue: Int64, recipients: [String]
    ) {
        self.id = id
        self.caseId = caseId
        self.kind = kind
        self.armedBy = armedBy
        self.itemId = itemId
        self.overdue = overdue
        self.level = level
        self.originalDue = originalDue
        self.recipients = recipients
    }
}
