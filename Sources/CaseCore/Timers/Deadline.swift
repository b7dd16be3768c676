/// A timer as data: one row the store writes in the same transaction as the state change that
/// sets it, and fires when `due` has passed (oldest first, after a restart too).
///
/// One awaited item (an `itemId`) has a deadline per escalation level: level 0 is the original
/// deadline; when it passes, `EscalationPlanner` sends step 1 and returns the level-1 deadline
/// for the repeat, and so on. Ids are deterministic, so firing the same deadline twice yields
/// the same notice and the same next deadline, which the store keeps once. Ids are built from
/// the seq of the message that set the deadline and node ids, so they fit 1/RBP's message-id
/// grammar (`[A-Za-z0-9._:@-]`, at most 128 characters) and can prefix the notice's id.
public struct Deadline: Sendable, Hashable, Identifiable {
    /// Nil only for a crisis alert sent without a case (the business protocol allows that).
    public var caseId: String?
    /// The broker seq of the message that set the deadline (the request, alert or discharge).
    public var armedBy: Int64
    /// That message's kind (escalation notices name it).
    public var kind: String
    public var awaited: Awaited
    /// When this level's deadline passes.
    public var due: Int64
    /// The item's first deadline, named in every escalation notice.
    public var originalDue: Int64
    /// Escalation steps already taken for the item: 0 for the original deadline.
    public var level: Int
    /// The policy values in force when the item's first deadline was set.
    public var policy: PolicySnapshot

    public init(
        caseId: String?, armedBy: Int64, kind: String, awaited: Awaited, due: Int64, originalDue: Int64? = nil,
        level: Int = 0, policy: PolicySnapshot
    ) {
        self.caseId = caseId
        self.armedBy = armedBy
        self.kind = kind
        self.awaited = awaited
        self.due = due
        self.originalDue = originalDue ?? due
        self.level = level
        self.policy = policy
    }

    /// The awaited item, the same at every level: `seq:key` (`1042:a:clinic-7`,
    /// `500:v2:school-1`). Answering the item settles every deadline with this item id.
    public var itemId: String { "\(armedBy):\(awaited.key)" }

    /// This level's deadline: `itemId:level` (`1042:a:clinic-7:0`).
    public var id: String { "\(itemId):\(level)" }
}
