import BrokerStore
import Foundation
import GRDB
import Testing

/// STATS and /metrics read the store at every scrape: open cases by status, open and overdue deadlines by county
/// and risk. Counted right (closed rows and finished cases left out, overdue as OVERDUE counts it), and fast with
/// 100,000 open cases: both reads use the indexes of `v12-metrics-indexes`, never the tables.
@Suite struct AggregatesTests {
    let now: Int64 = 1_772_413_200_000

    func deadline(_ caseId: String, region: String?, risk: String, due: Int64, level: Int = 0) -> StoreUnit {
        .setDeadline(
            NewDeadline(
                caseId: caseId, item: .text("answer:test-b:referral.accepted"), dueAt: due, level: level,
                notice: testNotice(), policy: "steps=1440;chain=civil", createdAt: now, region: region,
                agency: "health", risk: risk))
    }

    @Test func countsOpenCasesByStatusAndOpenAndOverdueDeadlinesByCountyAndRisk() throws {
        try withStore { store, _ in
            _ = try store.run([
                .putCase(CaseRecord(caseId: "c-1", status: "requested")),
                .putCase(CaseRecord(caseId: "c-2", status: "requested")),
                .putCase(CaseRecord(caseId: "c-3", status: "in-progress")),
                .putCase(CaseRecord(caseId: "c-4", status: "completed")),
                .putCase(CaseRecord(caseId: "c-5", status: "cancelled")),
                deadline("c-1", region: "350102001", risk: "crisis", due: now - 1),
                deadline("c-2", region: "350102", risk: "crisis", due: now + 60_000),
                deadline("c-3", region: "350102003", risk: "crisis", due: now + 60_000, level: 1),
                deadline("c-3", region: "350103", risk: "routine", due: now + 60_000),
                deadline("c-4", region: nil, risk: "routine", due: now),
            ])
            _ = try store.run([
                deadline("c-5", region: "350104", risk: "urgent", due: now - 5),
                .closeDeadlines(.inCase("c-5", item: nil, state: .cancelled), at: now),
            ])
            let aggregates = try store.aggregates(now: now)
            #expect(aggregates.casesOpen == ["requested": 2, "in-progress": 1])
            #expect(
                aggregates.deadlines == [
                    .init(county: "350102", risk: "crisis", open: 3, overdue: 2),
                    .init(county: "350103", risk: "routine", open: 1, overdue: 0),
                    .init(county: "unknown", risk: "routine", open: 1, overdue: 1),
                ])
        }
    }

    // 100,000 open cases with an open deadline each: about 3 s to write in a debug build on 2 cores; the reads
    // take a few tens of ms.
    @Test(.timeLimit(.minutes(1))) func staysIndexedWithManyOpenCases() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            let counties = ["350102", "350103", "350104", "350105", "350111"]
            let risks = ["crisis", "urgent", "routine", "follow-up"]
            for start in stride(from: 0, to: 100_000, by: 10_000) {
                var units: [StoreUnit] = []
                for i in start..<(start + 10_000) {
                    units.append(.putCase(CaseRecord(caseId: "case-\(i)", status: i % 3 == 0 ? "accepted" : "requested")))
                    units.append(
                        deadline(
                            "case-\(i)", region: counties[i % 5] + "001", risk: risks[i % 4],
                            due: now + Int64(i % 2 == 0 ? -1 : 1) * 60_000))
                }
                _ = try store.run(units)
            }
            let clock = ContinuousClock()
            let began = clock.now
            let aggregates = try store.aggregates(now: now)
            let elapsed = clock.now - began
            #expect(aggregates.casesOpen.values.reduce(0, +) == 100_000)
            #expect(aggregates.deadlines.count == 20)
            #expect(aggregates.deadlines.map(\.open).reduce(0, +) == 100_000)
            #expect(aggregates.deadlines.map(\.overdue).reduce(0, +) == 50_000)
            #expect(elapsed < .seconds(2), "aggregates took \(elapsed)")
            print("AggregatesTests: aggregates(now:) over 100,000 open cases and deadlines took \(elapsed)")
            try store.close()

            // The plans: both read an index only.
            let queue = try DatabaseQueue(path: path)
            let plans = try queue.read { db in
                [
                    try Row.fetchAll(
                        db,
                        sql: """
                            EXPLAIN QUERY PLAN SELECT status, count(*) FROM cases
                            WHERE status IN ('requested', 'received', 'accepted', 'rejected', 'in-progress', 'on-hold')
                            GROUP BY status
                            """
                    ).map { "\($0["detail"] ?? "")" }.joined(separator: "; "),
                    try Row.fetchAll(
                        db,
                        sql: """
                            EXPLAIN QUERY PLAN SELECT substr(region, 1, 6), risk, count(*), sum(due_at <= ? OR level > 0)
                            FROM deadlines INDEXED BY deadlines_open_stats WHERE state = 0 GROUP BY 1, 2 ORDER BY 1, 2
                            """, arguments: [now]
                    ).map { "\($0["detail"] ?? "")" }.joined(separator: "; "),
                ]
            }
            #expect(plans[0].contains("COVERING INDEX cases_status"), "\(plans[0])")
            #expect(plans[1].contains("COVERING INDEX deadlines_open_stats"), "\(plans[1])")
        }
    }
}
