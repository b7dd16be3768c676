import Foundation
import GRDB

/// The broker's durable store: one SQLite file in WAL mode with `synchronous=FULL`, written through exactly ONE
/// connection (a GRDB `DatabaseQueue`: Debian's SQLite 3.40.1 has the WAL-reset bug that needs two connections
/// writing or checkpointing at once, so there is never a second connection, not even a reader).
///
/// `apply(_:)` is the group commit: one `BEGIN IMMEDIATE` transaction (one fsync) for a whole batch.
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
    /// The audit chain's newest id and hash: loaded at open, advanced by `apply(_:)` after each commit.
    var auditTip = AuditChain.genesis
    private var isClosed = false

    /// Counters of committed batches since this store was opened.
    public var statistics: StoreStatistics { counters }

    /// Creates the parent directory if needed, opens the file (creating it), sets WAL + `synchronous=FULL` +
    /// `busy_timeout`, and runs the migrations. Throws a `BrokerStoreError` naming the path and the cause.
    public init(path: String) throws {
        self.path = path
        do {
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw BrokerStoreError(
                path: path, operation: "open", cause: "cannot create parent directory: \(error.localizedDescription)")
        }
        var config = Configuration()
        config.label = "BrokerStore"
        config.busyMode = .timeout(Self.busyTimeoutSeconds)
        config.publicStatementArguments = false  // errors never show arguments (bodies, digests)
        // No `config.journalMode = .wal`: GRDB's WAL setup would lower `synchronous` to NORMAL.
        config.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw DatabaseError(message: "cannot switch to WAL journal mode (got \(mode ?? "nothing"))")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 16 MiB page cache: keeps the hot index pages (dedupe key, pending deliveries) in memory.
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw Self.wrap(error, path: path, operation: "open")
        }
        do {
            let migrator = Schema.migrator
            let superseded = try dbQueue.read { try migrator.hasBeenSuperseded($0) }
            if superseded {
                let applied = try dbQueue.read { try migrator.appliedIdentifiers($0) }.sorted()
                throw BrokerStoreError(
                    path: path, operation: "open",
                    cause: "database was written by a newer version (migrations: \(applied.joined(separator: ", ")))")
            }
            try migrator.migrate(dbQueue)
            auditTip = try dbQueue.read { try AuditChain.load($0) }
        } catch {
            try? dbQueue.close()
            throw Self.wrap(error, path: path, operation: "migrate")
        }
    }

    deinit {
        if !isClosed { try? dbQueue.close() }
    }

    /// Closes the connection (checkpointing the WAL). Later calls throw; closing twice is a no-op.
    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        do {
            try dbQueue.close()
        } catch {
            throw wrap(error, operation: "close")
        }
    }

    /// The writer connection's settings (journal mode, synchronous level, busy timeout, migrations).
    public func settings() throws -> StoreSettings {
        try read("settings") { db in
            StoreSettings(
                journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                synchronous: try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                busyTimeoutMilliseconds: try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? -1,
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
            return BrokerStoreError(
                path: path, operation: operation, cause: error.description,
                sqliteCode: error.extendedResultCode.rawValue)
        }
        return BrokerStoreError(path: path, operation: operation, cause: String(describing: error))
    }
}
