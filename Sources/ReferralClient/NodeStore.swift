import Foundation
import GRDB
import SQLiteRaw

/// The node's local durable store: one SQLite file (WAL, `synchronous=FULL`, opened by `DurableSQLite`) holding
/// the outbox, the inbox and the receipt log, written through exactly one connection (a GRDB `DatabaseQueue`,
/// which serialises every access, so the API's callers and the connection thread can share it).
///
/// Every commit is an fsync; the connection thread batches everything that arrived together into one
/// transaction (`apply(_:)`).
final class NodeStore: Sendable {
    let path: String
    let dbQueue: DatabaseQueue
    /// The WAL is checkpointed into the database once it holds this many pages (SQLite's default is 1,000): the
    /// table and index pages that every commit rewrites (the outbox's and inbox's last pages, their indexes, the
    /// AUTOINCREMENT counters) are copied once per checkpoint instead of four times, and the checkpoint's fsyncs
    /// stall the connection thread a quarter as often. Up to ~16 MiB of WAL on disk.
    static let walAutocheckpointPages = 4_000

    /// Creates the parent directory if needed, then opens the file as every durable store of the project does
    /// (`DurableSQLite`: one connection, `locking_mode=EXCLUSIVE`, a file that is not a node store or is newer
    /// refused unchanged, WAL + `synchronous=FULL`, migrations, `application_id` and `user_version` marked).
    init(path: String) throws {
        self.path = path
        try Self.createFolder(of: path, operation: "open \(path)")
        do {
            dbQueue = try DurableSQLite.connection(path: path, label: "NodeStore", busyTimeoutSeconds: 5)
        } catch {
            throw Self.wrap(error, operation: "open \(path)")
        }
        do {
            _ = try DurableSQLite.prepare(dbQueue, as: NodeSchema.schema)
            try dbQueue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages)")
            }
        } catch let refusal as DurableSQLite.Refusal {
            try? dbQueue.close()
            switch refusal {
            case .identity(_, let reason):
                throw ReferralClientError.store(
                    operation: "open \(path)", cause: "not a node store this library can use: \(reason); left unchanged"
                )
            case .superseded:
                throw ReferralClientError.store(
                    operation: "open \(path)", cause: "the store was written by a newer version of the library")
            }
        } catch {
            try? dbQueue.close()
            throw Self.wrap(error, operation: "migrate \(path)")
        }
    }

    /// Creates the folder of the store at `path` if it is missing (the store and its lock file go there).
    static func createFolder(of path: String, operation: String) throws {
        do {
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ReferralClientError.store(operation: operation, cause: "cannot create its directory")
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
    /// dispatch queue and the caller is resumed after the commit, so no thread of Swift's cooperative pool waits
    /// for the fsync (or for the connection thread's batch ahead of it). Once asked for, the commit is carried out
    /// even if the caller's task is cancelled meanwhile: a handled message stays completed, a sent one queued.
    ///
    /// `committed` runs on that queue right after the commit, before any other access to the store: what it
    /// posts is posted in commit order.
    func write<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> T,
        committed: (@Sendable (T) -> Void)? = nil
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            dbQueue.asyncWriteWithoutTransaction { db in
                let result = Result { try Self.inImmediateTransaction(db, body) }
                if case .success(let value) = result { committed?(value) }
                continuation.resume(with: result.mapError { Self.wrap($0, operation: operation) })
            }
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

    /// A read on the calling thread. Not in a transaction of its own, nor in GRDB's read-only mode: the queue
    /// runs nothing else on the one connection meanwhile, so its statements see one state of the store; and
    /// GRDB's read-only mode sets `PRAGMA query_only`, which makes SQLite expire every prepared statement (the
    /// connection thread's cached INSERTs and UPDATEs would be compiled again after each read). `body` only reads.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.inDatabase(body)
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    /// A read for an async caller, on the store's queue like `write(_:_:) async`; as `read(_:_:)`, not in a
    /// transaction of its own.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await dbQueue.writeWithoutTransaction(body)
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
