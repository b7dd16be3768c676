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

        public init(region: String? = nil, agency: String? = nil, risk: String? = nil) {
            self.region = region
            self.agency = agency
            self.risk = risk
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
        case .stats: .stats
        }
    }
}
