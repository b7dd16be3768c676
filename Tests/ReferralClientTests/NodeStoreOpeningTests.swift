import Foundation
import GRDB
import Testing

@testable import ReferralClient

/// The node's store is one process's (issue 8): SQLite's exclusive locking mode keeps the WAL index in heap
/// memory (a memory-mapped `-shm` that cannot grow on a full disk killed `listen` with SIGBUS), a second process
/// is refused at once, and a file that is not a node store, or is newer, is refused unchanged.
@Suite struct NodeStoreOpeningTests {
    @Test func theWALIndexIsInHeapMemoryAndTheFileIsMarked() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        let store = try NodeStore(path: path)
        defer { store.close() }
        _ = try await store.enqueue([outgoing("test-a:000001")], now: 1000)
        let pragmas = try store.pragmas()
        #expect(pragmas.lockingMode == "exclusive")
        #expect(pragmas.applicationId == 0x5242_4E44)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"), "the WAL index is in a shared file")
    }

    @Test func aSecondNodeOnTheStoreIsRefusedAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let first = try ReferralNode(configuration: configuration(in: directory))
        _ = try await first.send(outgoing("test-a:000001"))
        let started = ContinuousClock.now
        #expect(throws: ReferralClientError.storeInUse(directory.file("node.sqlite"))) {
            try ReferralNode(configuration: configuration(in: directory))
        }
        #expect(ContinuousClock.now - started < .seconds(1), "the second node waited on SQLite's lock")
        await first.shutdown()
    }

    @Test func aForeignOrNewerFileIsRefusedUnchanged() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let foreign = directory.file("foreign.sqlite")
        let queue = try DatabaseQueue(path: foreign)
        try await queue.write {
            try $0.execute(sql: "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('x')")
        }
        try queue.close()
        let before = FileManager.default.contents(atPath: foreign)
        #expect(throws: ReferralClientError.self) { try NodeStore(path: foreign) }
        #expect(FileManager.default.contents(atPath: foreign) == before)

        let newer = directory.file("newer.sqlite")
        try NodeStore(path: newer).close()
        let editor = try DatabaseQueue(path: newer)
        try await editor.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = 999") }
        try editor.close()
        let error = #expect(throws: ReferralClientError.self) { try NodeStore(path: newer) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("newer version"))
    }

    /// v6 rebuilds the outbox to check `state` as a range (an IN list of three made SQLite build a temporary
    /// B-tree for every INSERT and state change): a store written by v5 keeps every row, position and the
    /// AUTOINCREMENT counter, and the rule itself still holds.
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
