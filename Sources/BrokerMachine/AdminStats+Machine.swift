import StoreModel
import ReferralProtocol

extension BrokerMachine {
    /// STATS: the machine's tallies and the store's aggregates, every list sorted (a stable reply, stable
    /// metrics).
    func stats(_ aggregates: StoreAggregates, startedAt: Int64) -> AdminStats {
        func kinds(_ counts: [MachineTallies.KindAgency: Int64]) -> [AdminStats.KindCount] {
            counts.map { AdminStats.KindCount(kind: $0.key.kind, agency: $0.key.agency, count: $0.value) }
                .sorted { ($0.kind, $0.agency) < ($1.kind, $1.agency) }
        }
        func labels(_ counts: [String: Int64]) -> [AdminStats.LabelCount] {
            counts.map { AdminStats.LabelCount(label: $0.key, count: $0.value) }.sorted { $0.label < $1.label }
        }
        let counters = AdminStats.Counters(
            accepted: kinds(tallies.accepted), delivered: kinds(tallies.delivered),
            acknowledged: kinds(tallies.acknowledged), deadLettered: kinds(tallies.deadLettered),
            rejected: labels(tallies.rejected), escalationsSent: labels(tallies.escalationsSent),
            authFailures: labels(tallies.authFailures))
        return AdminStats(
            startedAt: startedAt, counters: counters,
            lastSeen: tallies.lastSeen.map { AdminStats.LastSeen(node: $0.key, at: $0.value) }.sorted { $0.node < $1.node },
            casesOpen: labels(aggregates.casesOpen),
            deadlines: aggregates.deadlines.map {
                AdminStats.Deadlines(county: $0.county, risk: $0.risk, open: $0.open, overdue: $0.overdue)
            },
            audit: lastAuditCheck)
    }
}
