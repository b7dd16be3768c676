import GRDB

/// What an SQLite file is to the store opening it, read from its header (`application_id`, `user_version`) and
/// its table list before anything is written, so that a file that is not ours (or is newer) stays as it was.
/// The broker's and the node's stores each carry their own `application_id`; `user_version` is the schema
/// version (the number of migrations applied).
public enum StoreIdentity: Sendable, Equatable {
    /// No tables at all: a new (or empty) file, ours to set up.
    case new
    /// Marked with our `application_id`.
    case ours(version: Int)
    /// Ours from before stores were marked: no `application_id`, but our first migration is recorded.
    case unmarked(version: Int)
    /// Anything else: another `application_id`, or tables that are not ours.
    case foreign(applicationId: Int32)

    /// Reads the identity of the file `db` is open on (reads only).
    public static func inspect(_ db: Database, applicationId: Int32, firstMigration: String) throws -> StoreIdentity {
        let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if id == applicationId { return .ours(version: version) }
        if id != 0 { return .foreign(applicationId: id) }
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        if tables.isEmpty && version == 0 { return .new }
        if tables.contains("grdb_migrations"),
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM grdb_migrations WHERE identifier = ?)",
                arguments: [firstMigration]) == true
        {
            return .unmarked(version: version)
        }
        return .foreign(applicationId: id)
    }

    /// The problem with this identity for a store whose current schema version is `version`, or nil when the
    /// store may be opened (and migrated).
    public func refusal(schemaVersion: Int) -> String? {
        switch self {
        case .new: return nil
        case .ours(let version), .unmarked(let version):
            guard version > schemaVersion else { return nil }
            return "it was written by a newer version (schema \(version), this program knows up to \(schemaVersion))"
        case .foreign(let id):
            if let known = Self.knownStores[id] { return "it is \(known)" }
            return id == 0
                ? "it is an SQLite database of another program (its tables are not ours)"
                : "it is an SQLite database of another program (application_id \(id))"
        }
    }

    /// `PRAGMA application_id` of a broker store: "RBRK".
    public static let brokerApplicationId: Int32 = 0x5242_524B
    /// `PRAGMA application_id` of a node store: "RBND".
    public static let nodeApplicationId: Int32 = 0x5242_4E44

    /// The `application_id`s of this project's stores, to name a store opened by the wrong side.
    static let knownStores: [Int32: String] = [
        brokerApplicationId: "a referrald broker store (data_directory's broker.sqlite)",
        nodeApplicationId: "a referral node's store (a node configuration's store)",
    ]
}
