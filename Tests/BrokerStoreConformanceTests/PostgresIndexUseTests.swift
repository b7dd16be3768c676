import Foundation
import PostgresNIO
import StoreModel
import Testing

@testable import BrokerStorePostgres

/// The hot reads run on their partial indexes (PostgresSchema): each statement the store sends, with its binds, is
/// EXPLAINed on a store with made-up rows after VACUUM ANALYZE, sequential scans off (the planner may prefer one on a table
/// this small), and the plan must name the index. Nothing is asserted about costs or the plan's shape.
@Suite struct PostgresIndexUseTests {
    typealias Store = PostgresBrokerStore

    /// Each statement and the partial index it must use.
    static var hotReads: [(name: String, query: PostgresQuery, index: String)] {
        [
            (
                "openDeliveries", Store.openDeliveriesQuery(recipient: "node-3", afterSeq: 0, limit: 500),
                "deliveries_open"
            ),
            (
                "unconfirmedReceipts", Store.unconfirmedReceiptsQuery(sender: "node-3", afterId: 0, limit: 500),
                "receipts_open"
            ),
            ("dueDeadlines", Store.dueDeadlinesQuery(before: 12_000, limit: 500), "deadlines_open_due"),
            ("nextDueAt", Store.nextDueAtQuery, "deadlines_open_due"),
            ("openDeadlines", Store.openDeadlinesQuery(caseId: "case-10", limit: 500), "deadlines_open_case"),
            (
                "overdue escalated",
                Store.overdueQuery(
                    now: 12_000, regionPrefix: nil, agency: nil, risk: nil, escalatedOnly: true, limit: 1_000),
                "deadlines_open_escalated_recent"
            ),
            ("purge candidates", Store.purgeCandidatesQuery(afterSeq: 0, limit: 500), "messages_unpurged"),
            ("aggregates", Store.openDeadlineGroupsQuery(now: 12_000), "deadlines_open_stats"),
            ("deadLetters", Store.deadLettersQuery(DeadLetterFilter(limit: 100)), "deliveries_dead"),
            (
                "deadLetters of a recipient",
                Store.deadLettersQuery(DeadLetterFilter(recipient: "node-3", limit: 100)), "deliveries_dead"
            ),
        ]
    }

    /// Made-up rows shaped like a live store's: most deliveries settled (a tenth open, one in a hundred dead
    /// letters), most receipts confirmed, a quarter of the bodies purged, most deadlines closed, so that each partial
    /// index holds a small part of its table.
    static let seed = [
        """
        INSERT INTO messages (seq, sender, message_id, digest, kind, case_id, priority, recipients, accepted_at, body,
                              body_purged_at)
        SELECT g, 'node-' || (g % 5), 'm-' || g, '\\x01', 'referral.request',
               CASE WHEN g % 3 = 0 THEN 'case-' || (g % 40) END, 0, 'node-b', 1000 + g,
               CASE WHEN g % 4 = 0 THEN NULL ELSE '\\x02'::bytea END, CASE WHEN g % 4 = 0 THEN 5000 END
        FROM generate_series(1, 4000) g
        """,
        """
        INSERT INTO deliveries (seq, recipient, state, attempts, done_at)
        SELECT g, 'node-' || (g % 7), CASE WHEN g % 10 = 0 THEN 0 WHEN g % 100 = 1 THEN 2 ELSE 1 END, 1, 2000 + g
        FROM generate_series(1, 4000) g
        """,
        """
        INSERT INTO receipts (id, sender, seq, recipient, outcome, at, confirmed_at)
        SELECT g, 'node-' || (g % 5), g, 'node-b', 0, 2000 + g, CASE WHEN g % 10 = 0 THEN NULL ELSE 3000 + g END
        FROM generate_series(1, 4000) g
        """,
        """
        INSERT INTO deadlines (id, case_id, item, due_at, level, policy, state, created_at)
        SELECT g, 'case-' || (g % 400), 'answer', 10000 + g, CASE WHEN g % 20 = 0 THEN 1 ELSE 0 END, 'made-up',
               CASE WHEN g % 10 = 0 THEN 0 ELSE 1 END, g
        FROM generate_series(1, 4000) g
        """,
        // As autovacuum would soon after: statistics, and the visibility map that index-only scans need.
        "VACUUM (ANALYZE) messages, deliveries, receipts, deadlines, cases",
    ]

    @Test func theHotReadsUseTheirPartialIndexes() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let session = try PostgresSession.connectPrimary(options)
            defer { try? session.close() }
            for statement in Self.seed { try session.execute(statement) }
            try session.execute("SET enable_seqscan = off")
            for read in Self.hotReads {
                let explain = PostgresQuery(
                    unsafeSQL: "EXPLAIN (FORMAT JSON) " + read.query.sql, binds: read.query.binds)
                let plan = try #require(try session.query(explain).rows.first?.decode(ByteBuffer.self))
                let indexes = try Self.indexNames(in: Array(buffer: plan))
                #expect(indexes.contains(read.index), "\(read.name) does not use \(read.index): plan uses \(indexes)")
            }
        }
    }

    /// Every "Index Name" in a JSON plan, at any depth.
    static func indexNames(in json: [UInt8]) throws -> Set<String> {
        var names: Set<String> = []
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let name = object["Index Name"] as? String { names.insert(name) }
                object.values.forEach(walk)
            } else if let array = node as? [Any] {
                array.forEach(walk)
            }
        }
        walk(try JSONSerialization.jsonObject(with: Data(json)))
        return names
    }

    @Test func indexNamesAreFoundAtAnyDepth() throws {
        let plan = """
            [{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Bitmap Heap Scan", "Plans": [
                {"Node Type": "Bitmap Index Scan", "Index Name": "deliveries_open"}]},
                {"Node Type": "Index Only Scan", "Index Name": "messages_pkey"}]}}]
            """
        #expect(try Self.indexNames(in: Array(plan.utf8)) == ["deliveries_open", "messages_pkey"])
    }
}
