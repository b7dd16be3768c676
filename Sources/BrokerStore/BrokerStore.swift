import Foundation
import GRDB
import SQLiteRaw

/// The broker's durable store: one SQLite file in WAL mode with `synchronous=FULL`, written through exactly ONE
/// connection (a GRDB `DatabaseQueue`: Debian's SQLite 3.40.1 has the WAL-reset bug that needs two connections
/// writing or checkpointing at once, so there is never a second connection, not even a reader).
///
/// `run(_:)` is the group commit: one `BEGIN IMMEDIATE` transaction (one fsync) for a whole batch of units of store
/// work. It is the first backend of `BrokerStoring`.
///
/// Thread safety: this class is used by one thread at a time (the broker's dedicated store thread; tests and
/// tools use it from a single thread too). It does no locking of its own, hence `@unchecked Sendable`: it may be
/// handed to the store thread, but never be called from two threads concurrently.
public final class BrokerStore: @unchecked Sendable {
    /// Path of the database file.
    public let path: String
    /// How long a statement waits for a lock held by another process (e.g. an operator's sqlite3 shell).
    static let busyTimeoutSeconds: Double = 5

    let dbQueue: DatabaseQueue
    var counters = StoreStatistics()
    /// The audit chain's newest id and hash: loaded at open, advanced by `run(_:)` after each commit.
    var auditTip = AuditChain.genesis
    /// The highest seq given to a message (AUTOINCREMENT's counter): loaded at open, advanced by `run(_:)`.
    var highestSeq: Int64 = 0
    /// The store's epoch (`store_identity`).
    public internal(set) var epoch: [UInt8] = []
    let lock: ExclusiveFileLock
    var mark: HighWaterMarkFile?
    /// Set when writing the mark failed after a commit: the next batch writes it even if it moves nothing.
    var markBehind = false
    /// What the audit check at open found wrong with the chain's tail (nil: intact). The daemon warns loudly.
    public internal(set) var auditTailProblem: String?
    /// Set by `acceptRollback(path:)`: what the store had lost.
    public internal(set) var acceptedRollback: String?
    private var isClosed = false

    /// Counters of committed batches since this store was opened.
    public var statistics: StoreStatistics { counters }

    /// Opens the store at `path` (creating it and its folder if needed). In order, each refused with its
    /// `BrokerStoreError.Kind` and a message naming the file and the fix, before anything is written:
    /// the folder must be a writable directory; the store must not be held by another process (`<path>.lock`);
    /// an existing file must be an SQLite database marked as a broker store (or an unmarked one of ours) of
    /// this schema version or older. Then WAL + `synchronous=FULL` + `locking_mode=EXCLUSIVE` (the WAL index in
    /// heap memory, not in a `-shm` file that cannot grow on a full disk), the migrations, and the high-water
    /// mark: a store holding less than the mark says was acknowledged is refused (`.rolledBack`). Last, the
    /// audit chain's tail is checked (`auditTailProblem`).
    public convenience init(path: String) throws {
        try self.init(path: path, acceptingRollback: false)
    }

    init(path: String, acceptingRollback: Bool) throws {
        self.path = path
        try Self.prepareFolder(of: path)
        lock = try ExclusiveFileLock.brokerStore(at: path)
        let markPath = HighWaterMarkFile.path(forStore: path)
        let recorded = try HighWaterMarkFile.read(path: markPath)
        let existed = try Self.checkFile(path)
        if !existed, let recorded, recorded.acknowledgedAnything, !acceptingRollback {
            throw Self.rolledBack(
                path, markPath,
                "the store file is missing or empty, but \(markPath) says it acknowledged \(recorded.summary)")
        }
        do {
            dbQueue = try DurableSQLite.connection(
                path: path, label: "BrokerStore", busyTimeoutSeconds: Self.busyTimeoutSeconds)
        } catch {
            throw Self.wrap(error, path: path, operation: "open")
        }
        do {
            // 16 MiB page cache: keeps the hot index pages (dedupe key, pending deliveries) in memory.
            let opened = try Self.refusingUnchanged(path) {
                try DurableSQLite.prepare(dbQueue, as: Schema.durable, cacheSizeKiB: 16_384, incrementalVacuum: true)
            }
            let applied = opened.appliedBefore
            try loadPosition()
            let hadEpoch = applied.contains("v5-identity")
            try openMark(recorded: recorded, markPath: markPath, hadEpoch: hadEpoch, accepting: acceptingRollback)
        } catch {
            try? dbQueue.close()
            throw Self.wrap(error, path: path, operation: "open")
        }
    }

    deinit {
        if !isClosed { try? dbQueue.close() }
        lock.release()
    }

    /// Closes the connection (checkpointing the WAL). Later calls throw; closing twice is a no-op.
    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        defer { lock.release() }
        do {
            try dbQueue.close()
        } catch {
            throw wrap(error, operation: "close")
        }
    }

    /// Empties SQLite's page cache and statement caches (`sqlite3_db_release_memory`): after a large drain the
    /// cache holds its 16 MiB of pages read once. A closed store has nothing to release.
    public func releaseMemory() {
        guard !isClosed else { return }
        dbQueue.releaseMemory()
    }

    /// The writer connection's settings (journal mode, synchronous level, busy timeout, migrations).
    public func settings() throws -> StoreSettings {
        try read("settings") { db in
            StoreSettings(
                journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                synchronous: try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                busyTimeoutMilliseconds: try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? -1,
                lockingMode: try String.fetchOne(db, sql: "PRAGMA locking_mode") ?? "",
                applicationId: try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                schemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                migrations: try Schema.migrator.completedMigrations(db))
        }
    }

    // MARK: - Access helpers

    /// Runs `body` on the writer without a transaction (the body opens its own).
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        guard !isClosed else { throw closedError(operation) }
        do {
            return try dbQueue.writeWithoutTransaction(body)
        } catch {
            throw wrap(error, operation: operation)
        }
    }

    /// Runs `body` in a read-only transaction on the (only) connection.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        guard !isClosed else { throw closedError(operation) }
        do {
            return try dbQueue.read(body)
        } catch {
            throw wrap(error, operation: operation)
        }
    }

    private func closedError(_ operation: String) -> BrokerStoreError {
        BrokerStoreError(path: path, operation: operation, cause: "store is closed")
    }

    func wrap(_ error: any Error, operation: String) -> BrokerStoreError {
        Self.wrap(error, path: path, operation: operation)
    }

    static func wrap(_ error: any Error, path: String, operation: String) -> BrokerStoreError {
        if let error = error as? BrokerStoreError { return error }
        if let error = error as? DatabaseError {
            var wrapped = BrokerStoreError(
                path: path, operation: operation, cause: error.description,
                sqliteCode: error.extendedResultCode.rawValue)
            if let fix = wrapped.kind.fix { wrapped.cause += ". \(path): \(fix)" }
            return wrapped
        }
        return BrokerStoreError(path: path, operation: operation, cause: String(describing: error))
    }
}
