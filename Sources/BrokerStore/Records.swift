// The SQLite store's own API types (the shared records are in StoreModel). No GRDB types leak out.

/// The writer connection's settings, for a start-up log line and for tests.
public struct StoreSettings: Sendable, Hashable {
    /// "wal".
    public var journalMode: String
    /// 2 = FULL.
    public var synchronous: Int
    public var busyTimeoutMilliseconds: Int
    /// "exclusive": one process per store, the WAL index in heap memory.
    public var lockingMode: String
    /// `PRAGMA application_id`: a broker store's mark.
    public var applicationId: Int32
    /// `PRAGMA user_version`: the schema version.
    public var schemaVersion: Int
    /// Applied migrations, in order ("v1-core", ...).
    public var migrations: [String]
}

/// Every error thrown by `BrokerStore`: names the database path, the operation and the cause.
/// Never contains a message body or statement arguments.
public struct BrokerStoreError: Error, CustomStringConvertible, Sendable {
    public var path: String
    /// "open", "apply", "loadOpenDeliveries", ...
    public var operation: String
    /// Human-readable cause (SQLite error and statement, without arguments).
    public var cause: String
    /// SQLite extended result code, when the cause is an SQLite error.
    public var sqliteCode: Int32?
    /// Which class of failure this is (the daemon's exit code at start depends on it).
    public var kind: Kind

    /// Classes of store failure that need different fixes.
    public enum Kind: Sendable, Hashable {
        /// The folder cannot hold the store: not a directory, cannot be created.
        case notADirectory
        /// The file or its folder cannot be written (read-only mount, permissions).
        case readOnly
        /// Another process has the store open.
        case locked
        /// Not an SQLite database (truncated, overwritten) or corrupt.
        case damaged
        /// An SQLite database of another program.
        case foreign
        /// Written by a newer version of this program.
        case newer
        /// Holds less than it acknowledged (the high-water mark is ahead of it): rolled back, replaced or lost.
        case rolledBack
        case other

        /// What to do, for the classes SQLite itself reports (the store's own checks say it in their cause).
        var fix: String? {
            switch self {
            case .locked: "another program holds a lock on it (an sqlite3 shell, a second broker): stop it"
            case .readOnly: "it cannot be written (read-only mount or permissions): make it writable by referrald"
            case .damaged: "it is damaged: restore it from a backup (deploy/README.md, \"Store recovery\")"
            default: nil
            }
        }
    }

    public init(path: String, operation: String, cause: String, sqliteCode: Int32? = nil, kind: Kind? = nil) {
        self.path = path
        self.operation = operation
        self.cause = cause
        self.sqliteCode = sqliteCode
        self.kind = kind ?? Self.kind(ofSQLiteCode: sqliteCode)
    }

    /// The class of an SQLite (extended) result code.
    static func kind(ofSQLiteCode code: Int32?) -> Kind {
        switch code.map({ $0 & 0xff }) {
        case 5?, 6?: .locked  // SQLITE_BUSY, SQLITE_LOCKED
        case 8?: .readOnly  // SQLITE_READONLY
        case 11?, 26?: .damaged  // SQLITE_CORRUPT, SQLITE_NOTADB
        case 14?: .readOnly  // SQLITE_CANTOPEN: the folder or file cannot be opened for writing
        default: .other
        }
    }

    public var description: String {
        "broker store \(path): \(operation) failed: \(cause)"
    }
}
