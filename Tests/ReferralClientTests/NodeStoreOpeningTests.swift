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
}
