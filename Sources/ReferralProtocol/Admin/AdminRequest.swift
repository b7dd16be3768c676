/// The commands of ADMIN-1 (protocols/ADMIN-1.md), by the name frame 2 carries.
public enum AdminCommand: String, Sendable, Hashable, CaseIterable {
    case status = "STATUS"
    case trail = "TRAIL"
    case caseInfo = "CASE"
    case overdue = "OVERDUE"
    case reload = "RELOAD"
    case auditVerify = "AUDIT-VERIFY"
    case auditExport = "AUDIT-EXPORT"
    case backup = "BACKUP"
    case deadLetters = "DEAD-LETTERS"
    case deadLetter = "DEAD-LETTER"
    case redrive = "REDRIVE"
    case discard = "DISCARD"
    case held = "HELD"
    case release = "RELEASE"
    case purge = "PURGE"
    case nodeSuspend = "NODE-SUSPEND"
    case nodeResume = "NODE-RESUME"
    case nodeBacklog = "NODE-BACKLOG"
    case nodeMoveBacklog = "NODE-MOVE-BACKLOG"
    case nodeRotateKey = "NODE-ROTATE-KEY"
    case stats = "STATS"
}

/// One ADMIN-1 request, with its arguments checked (protocols/ADMIN-1.md). Strings hold what was sent;
/// optional text members absent, null or empty are nil, as ADMIN-1 reads them.
public enum AdminRequest: Sendable, Hashable {
    case status
    case trail(TrailSubject)
    case caseInfo(caseId: String)
    case overdue(OverdueFilter)
    case reload
    case auditVerify
    /// `since` is 0 when the request gave none; `limit` nil when it gave none.
    case auditExport(since: Int64, limit: Int64?)
    /// `path` is absolute, on the broker's machine: the broker writes the copy.
    case backup(path: String)
    case deadLetters(AdminRepair.Query)
    case deadLetter(seq: Int64, recipient: String)
    /// `to`: a corrected recipient; `operatorName`: who asks (audited).
    case redrive(seq: Int64, recipient: String, to: String?, operatorName: String)
    case discard(seq: Int64, recipient: String, operatorName: String)
    /// `recipient`: only this node's held lanes.
    case held(recipient: String?)
    case release(caseId: String, recipient: String, operatorName: String)
    /// Run one purge of old message bodies now (retention); `operator` is who asked, for the audit trail.
    case purge(operator: String)
    /// An operator suspends a node (`operator`: who, for the audit trail).
    case nodeSuspend(node: String, reason: String, operator: String)
    /// An operator lifts their suspension of a node.
    case nodeResume(node: String, operator: String)
    /// One node's counts and a page of its open deliveries (seq after `after`, at most `limit`; nil: defaults).
    case nodeBacklog(node: String, limit: Int64?, after: Int64?)
    /// The open deliveries of suspended node `from` go to `to`.
    case nodeMoveBacklog(from: String, to: String, operator: String)
    /// `publicKey` (Z85) becomes the node's key; its key until now is still let in for `graceMs`.
    case nodeRotateKey(node: String, publicKey: String, graceMs: Int64, operator: String)
    /// The counters and aggregates behind /metrics.
    case stats

    /// TRAIL's one subject: a message, or every message of a case.
    public enum TrailSubject: Sendable, Hashable {
        case message(sender: String, id: String)
        case caseId(String)
    }

    /// OVERDUE's filters; nil is no filter.
    public struct OverdueFilter: Sendable, Hashable {
        public var region: String?
        public var agency: String?
        public var risk: String?
        /// Only the items that escalated (level 1 or above), the latest escalation first, instead of every
        /// overdue item by due time.
        public var escalated: Bool
        /// At most this many (nil: 1000, the most).
        public var limit: Int64?

        public static let maxLimit: Int64 = 1000

        public init(
            region: String? = nil, agency: String? = nil, risk: String? = nil, escalated: Bool = false,
            limit: Int64? = nil
        ) {
            self.region = region
            self.agency = agency
            self.risk = risk
            self.escalated = escalated
            self.limit = limit
        }
    }

    public var command: AdminCommand {
        switch self {
        case .status: .status
        case .trail: .trail
        case .caseInfo: .caseInfo
        case .overdue: .overdue
        case .reload: .reload
        case .auditVerify: .auditVerify
        case .auditExport: .auditExport
        case .backup: .backup
        case .deadLetters: .deadLetters
        case .deadLetter: .deadLetter
        case .redrive: .redrive
        case .discard: .discard
        case .held: .held
        case .release: .release
        case .purge: .purge
        case .nodeSuspend: .nodeSuspend
        case .nodeResume: .nodeResume
        case .nodeBacklog: .nodeBacklog
        case .nodeMoveBacklog: .nodeMoveBacklog
        case .nodeRotateKey: .nodeRotateKey
        case .stats: .stats
        }
    }
}
