import ReferralProtocol

/// What the dashboard reads, in ADMIN-1's vocabulary. The HTTP layer implements it by asking the broker's poll
/// thread ADMIN-1 requests (STATUS, STATS, OVERDUE, CASE, DEAD-LETTERS); the tests implement it with made-up values. Nothing
/// it returns carries a message body, and the pages never ask for one.
public protocol DashboardSource: Sendable {
    /// STATUS: nodes, held cases, dead letters.
    func status() async throws -> AdminStatus
    /// Open and overdue deadlines by county and risk, and each node's last traffic (STATS).
    func aggregates() async throws -> DashboardAggregates
    /// OVERDUE with its filters (at most 1000 items, by due time).
    func overdue(_ filter: AdminRequest.OverdueFilter) async throws -> [AdminOverdueItem]
    /// DEAD-LETTERS with its filters and page (at most 1000, by seq then recipient). Each item carries the node's
    /// free-text `reason`: the pages never show it.
    func deadLetters(_ query: AdminRepair.Query) async throws -> AdminRepair.List
    /// CASE; throws the broker's `AdminError` (NOT_FOUND, BAD_REQUEST) as it answers.
    func caseInfo(_ caseId: String) async throws -> AdminCase
}

/// The aggregated reads behind the overview: never a list of cases, so the page costs the same with 100 or
/// 100,000 open cases.
public struct DashboardAggregates: Sendable, Hashable {
    /// Open deadlines of one county (6-digit code of the late party's county, or what the store holds when the
    /// party sits above county level) and risk level.
    public struct Deadlines: Sendable, Hashable {
        public var county: String
        public var risk: String
        public var open: Int64
        /// Due or escalated, as OVERDUE counts them.
        public var overdue: Int64

        public init(county: String, risk: String, open: Int64, overdue: Int64) {
            (self.county, self.risk, self.open, self.overdue) = (county, risk, open, overdue)
        }
    }

    public var deadlines: [Deadlines]
    /// Node id → time of its last traffic since the broker started (absent: none since then).
    public var lastSeen: [String: Int64]

    public init(deadlines: [Deadlines], lastSeen: [String: Int64]) {
        (self.deadlines, self.lastSeen) = (deadlines, lastSeen)
    }
}
