import Foundation
import GRDB
import SQLiteRaw

/// The node's local durable store: one SQLite file (WAL, `synchronous=FULL`) holding the outbox, the inbox and
/// the receipt log, written through exactly one connection (a GRDB `DatabaseQueue`, which serialises every
/// access, so the API's callers and the connection thread can share it).
///
/// Every commit is an fsync; the connection thread batches everything that arrived together into one
/// transaction (`apply(_:)`).
final class NodeStore: Sendable {
    let path: String
    let dbQueue: DatabaseQueue

    /// Creates the parent directory if needed, opens (creating) the file, refuses a file that is not a node store
    /// or is newer (unchanged), sets WAL + `synchronous=FULL` + `locking_mode=EXCLUSIVE`, migrates, and marks the
    /// file (`application_id`, `user_version`).
    init(path: String) throws {
        self.path = path
        do {
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ReferralClientError.store(operation: "open \(path)", cause: "cannot create its directory")
        }
        var config = Configuration()
        config.label = "NodeStore"
        config.busyMode = .timeout(5)
        config.publicStatementArguments = false  // errors never show arguments (bodies)
        // One process per store (`ExclusiveFileLock.nodeStore`): SQLite's locks are taken once and kept, and the WAL index lives in
        // heap memory, not in a memory-mapped `-shm` file that cannot grow on a full disk (SIGBUS). Set before
        // the first read, as SQLite requires.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw Self.wrap(error, operation: "open \(path)")
        }
        do {
            let migrator = NodeSchema.migrator
            // Read before anything is written: a file that is not a node store (or is newer) stays as it was.
            let identity = try dbQueue.writeWithoutTransaction {
                try StoreIdentity.inspect(
                    $0, applicationId: NodeSchema.applicationId, firstMigration: NodeSchema.firstMigration)
            }
            if let refusal = identity.refusal(schemaVersion: NodeSchema.version) {
                throw ReferralClientError.store(
                    operation: "open \(path)", cause: "not a node store this library can use: \(refusal); left unchanged")
            }
            if try dbQueue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw ReferralClientError.store(
                    operation: "open \(path)", cause: "the store was written by a newer version of the library")
            }
            // Not `config.journalMode = .wal`: GRDB's WAL setup lowers `synchronous` to NORMAL.
            try dbQueue.writeWithoutTransaction { db in
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                guard mode?.lowercased() == "wal" else {
                    throw DatabaseError(message: "cannot switch to WAL journal mode (got \(mode ?? "nothing"))")
                }
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try migrator.migrate(dbQueue)
            try dbQueue.writeWithoutTransaction { db in
                if identity != .ours(version: NodeSchema.version) {
                    try db.execute(
                        sql: "PRAGMA application_id = \(NodeSchema.applicationId); PRAGMA user_version = \(NodeSchema.version)")
                }
            }
        } catch let error as ReferralClientError {
            try? dbQueue.close()
            throw error
        } catch {
            try? dbQueue.close()
            throw Self.wrap(error, operation: "migrate \(path)")
        }
    }

    /// Closes the connection (checkpointing the WAL). Later calls fail.
    func close() {
        try? dbQueue.close()
    }

    /// The connection's journal mode and synchronous level (for tests).
    func pragmas() throws -> (journalMode: String, synchronous: Int, lockingMode: String, applicationId: Int32) {
        try read("pragmas") { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                try String.fetchOne(db, sql: "PRAGMA locking_mode") ?? "",
                try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            )
        }
    }

    // MARK: - Access helpers

    /// One `BEGIN IMMEDIATE` transaction (one fsync), on the calling thread: the connection thread's.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.writeWithoutTransaction { db in try Self.inImmediateTransaction(db, body) }
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    /// One `BEGIN IMMEDIATE` transaction (one fsync) for an async caller: GRDB runs it on the store's own serial
    /// dispatch queue and resumes the caller after the commit, so no thread of Swift's cooperative pool waits for
    /// the fsync (or for the connection thread's batch ahead of it).
    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await dbQueue.writeWithoutTransaction { db in try Self.inImmediateTransaction(db, body) }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    private static func inImmediateTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.immediate) {
            result = try body(db)
            return .commit
        }
        return result!
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.read(body)
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    /// A read for an async caller, on the store's queue like `write(_:_:) async`.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await dbQueue.read(body)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    /// A store error without statement arguments (which could hold bodies); the library's own errors unchanged.
    static func wrap(_ error: any Error, operation: String) -> ReferralClientError {
        if let error = error as? ReferralClientError { return error }
        if let error = error as? DatabaseError {
            return .store(operation: operation, cause: "\(error.resultCode): \(error.message ?? "no detail")")
        }
        return .store(operation: operation, cause: String(describing: type(of: error)))
    }
}

/// Milliseconds since the Unix epoch (wall clock, for stored times).
func wallClockMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}
