import PostgresNIO
import StoreModel

extension PostgresBrokerStore {
    /// STATS and /metrics (BrokerStore+Aggregates.swift on SQLite, same result): open cases by status on
    /// `cases_status`, open deadlines by county and risk on `deadlines_open_stats`. The groups come in SQLite's
    /// order (NULL first, binary text order) before the same final sort, so groups that name the same county and
    /// risk ("unknown" from NULL, empty or the literal) stay in the same order as on SQLite.
    public func aggregates(now: Int64) throws -> StoreAggregates {
        try reading("aggregates") {
            var cases: [String: Int64] = [:]
            let statuses = StoreAggregates.openStatuses
            for row in try session.query(
                "SELECT status, count(*) FROM cases WHERE status = ANY(\(statuses)) GROUP BY status"
            ).rows {
                let (status, count) = try row.decode((String, Int64).self)
                cases[status] = count
            }
            let deadlines = try session.query(Self.openDeadlineGroupsQuery(now: now)).rows.map { row in
                let (county, risk, open, overdue) = try row.decode((String?, String?, Int64, Int64).self)
                return StoreAggregates.DeadlineGroup(
                    county: county.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown", risk: risk ?? "unknown",
                    open: open, overdue: overdue)
            }
            return StoreAggregates(
                casesOpen: cases, deadlines: deadlines.sorted { ($0.county, $0.risk) < ($1.county, $1.risk) })
        }
    }

    /// The open deadlines by county and risk, on `deadlines_open_stats` (PostgresIndexUseTests EXPLAINs it).
    static func openDeadlineGroupsQuery(now: Int64) -> PostgresQuery {
        """
        SELECT substr(region, 1, 6), risk, count(*), sum(CASE WHEN due_at <= \(now) OR level > 0 THEN 1 ELSE 0 END)
        FROM deadlines WHERE state = 0
        GROUP BY substr(region, 1, 6), risk
        ORDER BY substr(region, 1, 6) COLLATE "C" NULLS FIRST, risk COLLATE "C" NULLS FIRST
        """
    }
}
