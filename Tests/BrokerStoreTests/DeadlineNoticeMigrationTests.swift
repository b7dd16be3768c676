import Foundation
import GRDB
import Testing

@testable import BrokerStore

/// Migration `v6-deadline-notice`: a store written before it keeps its deadlines, their notice moved from the old
/// `policy` text into columns, in place.
@Suite struct DeadlineNoticeMigrationTests {
    @Test func anOlderStoresDeadlinesGetTheirNoticeColumns() throws {
        try withTempDirectory { dir in
            let path = try olderStore(
                in: dir, upTo: "v4-followup",
                rows: """
                    INSERT INTO deadlines (case_id, item, due_at, level, policy, state)
                    VALUES ('c1', 'answer:clinic-1:referral.received', 5000, 1,
                            'v1;referral.request;42;school-1;school-1:000001;4000;steps=1440;chain=civil', 0),
                           ('c2', 'x', 6000, 0, 'not the old layout', 0)
                    """)
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            #expect(try store.settings().migrations.contains("v6-deadline-notice"))
            let rows = try store.dueDeadlines(before: Int64.max, limit: 10)
            #expect(rows.count == 2)
            #expect(
                rows[0].notice
                    == DeadlineNotice(
                        kind: "referral.request", armedBy: 42, sender: "school-1", messageId: "school-1:000001",
                        originalDue: 4_000))
            #expect(rows[0].policy == "steps=1440;chain=civil")
            #expect(rows[0].item == "answer:clinic-1:referral.received" && rows[0].level == 1)
            // A row that does not have the old layout is left as it was.
            #expect(rows[1].notice == nil && rows[1].policy == "not the old layout")
        }
    }
}
