import GRDB
import StoreModel

extension BrokerStore {
    /// STATS and /metrics: two GROUP BY reads on indexes of v12-metrics-indexes (`cases_status`, a seek per open
    /// status; `deadlines_open_stats`, covering the open deadlines), so a scrape never reads the tables' rows.
    public func aggregates(now: Int64) throws -> StoreAggregates {
        try read("aggregates") { db in
            var cases: [String: Int64] = [:]
            let statuses = StoreAggregates.openStatuses.map { "'\($0)'" }.joined(separator: ", ")
            let caseRows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT status, count(*) FROM cases WHERE status IN (\(statuses)) GROUP BY status"))
            for row in caseRows { cases[row[0]] = row[1] }
            let deadlineRows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT substr(region, 1, 6), risk, count(*), sum(due_at <= ? OR level > 0)
                        FROM deadlines INDEXED BY deadlines_open_stats WHERE state = 0
                        GROUP BY 1, 2 ORDER BY 1, 2
                        """), arguments: [now])
            let deadlines = deadlineRows.map { row in
                StoreAggregates.DeadlineGroup(
                    county: (row[0] as String?).flatMap { $0.isEmpty ? nil : $0 } ?? "unknown",
                    risk: (row[1] as String?) ?? "unknown", open: row[2], overdue: row[3])
            }
            return StoreAggregates(
                casesOpen: cases, deadlines: deadlines.sorted { ($0.county, $0.risk) < ($1.county, $1.risk) })
        }
    }
}
