import GRDB

/// How the broker's store and a node's store open their SQLite file, the one place it is written: one writer
/// connection, `locking_mode=EXCLUSIVE`, the file's identity checked before anything is written, WAL with
/// `synchronous=FULL` (every commit is on disk when it returns), the migrations, and the file marked
/// (`application_id`, `user_version`). Each store says what its file is (`Schema`) and tells a `Refusal` in its
/// own words; both hold an `ExclusiveFileLock` first, so one process at a time gets here.
public enum DurableSQLite {
    /// What a store's file is.
    public struct Schema {
        /// `PRAGMA application_id` of this kind of store (`StoreIdentity`).
        public var applicationId: Int32
        /// The migration every store of this kind has, marked or not (`StoreIdentity.unmarked`).
        public var firstMigration: String
        public var migrator: DatabaseMigrator
        /// `PRAGMA user_version` of a store this program migrated: the number of migrations.
        public var version: Int { migrator.migrations.count }

        public init(applicationId: Int32, firstMigration: String, migrator: DatabaseMigrator) {
            self.applicationId = applicationId
            self.firstMigration = firstMigration
            self.migrator = migrator
        }
    }

    /// Why a file was left exactly as it was.
    public enum Refusal: Error, Equatable {
        /// Not a store of this kind, or one marked as newer: `reason` from `StoreIdentity.refusal`.
        case identity(StoreIdentity, reason: String)
        /// It records migrations this program does not know (all it records: `applied`, sorted).
        case superseded(applied: [String])
    }

    /// What the file was before this open.
    public struct Opened: Sendable {
        public var identity: StoreIdentity
        /// The migrations applied before this open.
        public var appliedBefore: Set<String>
    }

    /// The one connection: errors never show statement arguments (they could hold bodies); SQLite's locks are
    /// taken once and kept, and the WAL index lives in heap memory, not in a memory-mapped `-shm` file that
    /// cannot grow on a full disk (SIGBUS). `locking_mode` is set before the first read, as SQLite requires.
    public static func connection(path: String, label: String, busyTimeoutSeconds: Double) throws -> DatabaseQueue {
        var config = Configuration()
        config.label = label
        config.busyMode = .timeout(busyTimeoutSeconds)
        config.publicStatementArguments = false
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
        return try DatabaseQueue(path: path, configuration: config)
    }

    /// Checks the file (throws `Refusal` before writing anything), switches it to WAL + `synchronous=FULL`
    /// (with a page cache of `cacheSizeKiB` when given), migrates and marks it. `incrementalVacuum`: a new file is
    /// made with `auto_vacuum = INCREMENTAL`, so that pages freed later (purged bodies) can be given back to the file
    /// system with `PRAGMA incremental_vacuum`; SQLite takes it only before the first table and before the switch
    /// to WAL (an existing file keeps its mode: only a VACUUM changes it).
    public static func prepare(
        _ dbQueue: DatabaseQueue, as schema: Schema, cacheSizeKiB: Int? = nil, incrementalVacuum: Bool = false
    ) throws -> Opened {
        let identity = try dbQueue.writeWithoutTransaction {
            try StoreIdentity.inspect($0, applicationId: schema.applicationId, firstMigration: schema.firstMigration)
        }
        if let reason = identity.refusal(schemaVersion: schema.version) {
            throw Refusal.identity(identity, reason: reason)
        }
        let migrator = schema.migrator
        let applied = try dbQueue.read { try migrator.appliedIdentifiers($0) }
        if try dbQueue.read({ try migrator.hasBeenSuperseded($0) }) {
            throw Refusal.superseded(applied: applied.sorted())
        }
        // Not GRDB's `journalMode = .wal`: its WAL setup lowers `synchronous` to NORMAL.
        try dbQueue.writeWithoutTransaction { db in
            if incrementalVacuum, case .new = identity { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw DatabaseError(message: "cannot switch to WAL journal mode (got \(mode ?? "nothing"))")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if let cacheSizeKiB { try db.execute(sql: "PRAGMA cache_size = -\(cacheSizeKiB)") }
        }
        try migrator.migrate(dbQueue)
        try dbQueue.writeWithoutTransaction { db in
            let applicationId = try Int32.fetchOne(db, sql: "PRAGMA application_id")
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version")
            if applicationId != schema.applicationId || version != schema.version {
                try db.execute(
                    sql: "PRAGMA application_id = \(schema.applicationId); PRAGMA user_version = \(schema.version)")
            }
        }
        return Opened(identity: identity, appliedBefore: applied)
    }
}
