import Foundation
import GRDB
import Testing

@testable import ReferralClient

/// v6 rebuilds the outbox to check `state` as a range (an IN list of three made SQLite build a temporary B-tree
/// for every INSERT and state change): a store written by v5 keeps every row, position and the AUTOINCREMENT
/// counter, and the rule itself still holds.
@Suite struct OutboxMigrationTests {
    @Test func aV5OutboxKeepsItsRowsPositionsAndCounter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        let old = try DatabaseQueue(path: path)
        try NodeSchema.migrator.migrate(old, upTo: "v5-recipient-count")
        try await old.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox (position, id, recipients, kind, priority, body, digest, state, seq,
                        created_at, followup, recipient_count)
                    VALUES (3, 'm-3', 'test-b', 'test.note', 'routine', x'01', x'aa', 0, NULL, 1, NULL, NULL),
                        (9, 'm-9', 'test-b,test-c', 'test.note', 'urgent', NULL, x'bb', 1, 4, 2, '{}', 2);
                    DELETE FROM outbox WHERE position = 9;
                    INSERT INTO outbox (position, id, recipients, kind, priority, body, digest, state, seq,
                        created_at, recipient_count)
                    VALUES (7, 'm-7', 'test-b,test-c', 'test.note', 'urgent', NULL, x'bb', 1, 4, 2, 2);
                    """)
        }
        try old.close()

        let store = try NodeStore(path: path)
        defer { store.close() }
        #expect(try store.queuedOutbox(after: 0, limit: 10).map(\.position) == [3])
        #expect(try store.outboxEntry(id: "m-7")?.state == .accepted)
        let added = try await store.enqueue([outgoing("m-10")], now: 3)
        #expect(added == ["m-10"])
        #expect(try store.queuedOutbox(after: 3, limit: 10).map(\.position) == [10], "the counter was kept at 9")
        let (sql, indexes) = try await store.read("check") { db in
            (
                try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = 'outbox'") ?? "",
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL
                        """)
            )
        }
        #expect(sql.contains("CHECK (state BETWEEN 0 AND 2)"))
        #expect(Set(indexes) == ["outbox_queued", "outbox_rejected_unreported"])
        #expect(throws: (any Error).self) {
            try store.write("break the rule") { db in try db.execute(sql: "UPDATE outbox SET state = 3") }
        }
    }
}
