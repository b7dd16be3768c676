import Foundation
import GRDB
import SQLiteRaw
import Testing

/// The opener both stores use (`DurableSQLite`), with a made-up schema of its own.
@Suite struct DurableSQLiteTests {
    static let applicationId: Int32 = 0x5445_5354  // "TEST"

    static func schema(extraMigration: Bool = false) -> DurableSQLite.Schema {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("t1") { try $0.execute(sql: "CREATE TABLE notes (text TEXT) STRICT") }
        if extraMigration {
            migrator.registerMigration("t2") { try $0.execute(sql: "ALTER TABLE notes ADD COLUMN at INTEGER") }
        }
        return DurableSQLite.Schema(applicationId: applicationId, firstMigration: "t1", migrator: migrator)
    }

    static func open(_ path: String, _ schema: DurableSQLite.Schema) throws -> (DatabaseQueue, DurableSQLite.Opened) {
        let queue = try DurableSQLite.connection(path: path, label: "test", busyTimeoutSeconds: 1)
        do {
            return (queue, try DurableSQLite.prepare(queue, as: schema, cacheSizeKiB: 1_024))
        } catch {
            try? queue.close()
            throw error
        }
    }

    @Test func aNewFileIsDurableExclusiveMigratedAndMarked() throws {
        try withTempDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let (queue, opened) = try Self.open(dir + "/s.sqlite", Self.schema())
            defer { try? queue.close() }
            #expect(opened.identity == .new)
            #expect(opened.appliedBefore.isEmpty)
            let pragmas = try queue.read { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                    try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                    try String.fetchOne(db, sql: "PRAGMA locking_mode"), try Int.fetchOne(db, sql: "PRAGMA cache_size"),
                    try Int32.fetchOne(db, sql: "PRAGMA application_id"),
                    try Int.fetchOne(db, sql: "PRAGMA user_version")
                )
            }
            #expect(pragmas.0 == "wal")
            #expect(pragmas.1 == 2)  // FULL
            #expect(pragmas.2 == "exclusive")
            #expect(pragmas.3 == -1_024)
            #expect(pragmas.4 == Self.applicationId)
            #expect(pragmas.5 == 1)
        }
    }

    @Test func anotherProgramsFileAndANewerOneAreLeftUnchanged() throws {
        try withTempDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let foreign = dir + "/foreign.sqlite"
            try DatabaseQueue(path: foreign).write { try $0.execute(sql: "CREATE TABLE recipes (name TEXT)") }
            let before = FileManager.default.contents(atPath: foreign)
            #expect {
                _ = try Self.open(foreign, Self.schema())
            } throws: { error in
                guard case .identity(.foreign, _) = error as? DurableSQLite.Refusal else { return false }
                return true
            }
            #expect(FileManager.default.contents(atPath: foreign) == before)

            let newer = dir + "/newer.sqlite"
            let (queue, _) = try Self.open(newer, Self.schema(extraMigration: true))
            try queue.close()
            let written = FileManager.default.contents(atPath: newer)
            // Marked with 2 migrations: refused by its user_version before its migrations are read.
            #expect {
                _ = try Self.open(newer, Self.schema())
            } throws: { error in
                guard case .identity(.ours(version: 2), _) = error as? DurableSQLite.Refusal else { return false }
                return true
            }
            #expect(FileManager.default.contents(atPath: newer) == written)
            let (again, opened) = try Self.open(newer, Self.schema(extraMigration: true))
            try again.close()
            #expect(opened.appliedBefore == ["t1", "t2"])
        }
    }
}
