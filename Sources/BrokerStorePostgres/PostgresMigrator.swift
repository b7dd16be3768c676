import NIOCore
import PostgresNIO
import StoreModel

/// Creates the schema on an empty database (the baseline, recording every name of `StoreMigrations.names` up to
/// it), applies later migrations, and refuses a database this binary cannot use: one holding a migration name it
/// does not know (written by a newer referrald), or tables without the broker's mark in `store_identity`.
enum PostgresMigrator {
    /// Serialises migrations of instances starting at once (a transaction-scoped advisory lock: built in, released
    /// at commit). Any fixed number: "RBRK".
    static let migrationLock: Int64 = 0x5242_524B

    /// `applyingLater`: false for a standby preparing the database before it waits for the lease (it creates the
    /// baseline of an empty database and checks the rest, but leaves later migrations to the instance that holds
    /// the lease, so an upgraded standby never changes the schema under an older active instance).
    static func migrate(_ session: PostgresSession, applyingLater: Bool = true) throws {
        try session.transaction {
            try session.query("SELECT pg_advisory_xact_lock(\(migrationLock))")
            // Created only when missing: a runtime role without CREATE rights (deploy/postgresql) opens an existing store.
            let exists =
                try session.query("SELECT to_regclass('schema_migrations') IS NOT NULL").rows.first?
                .decode(Bool.self) ?? false
            if !exists { try session.execute(PostgresSchema.migrationsTable) }
            let applied = Set(
                try session.query("SELECT name FROM schema_migrations").rows.map { try $0.decode(String.self) })
            if let unknown = applied.subtracting(StoreMigrations.names).sorted().first {
                throw PostgresStoreError(
                    operation: "open",
                    cause: "the database has migration \(unknown), unknown to this referrald: it was written by a "
                        + "newer version", kind: .newer)
            }
            if applied.isEmpty {
                try refuseForeignTables(session)
                try createBaseline(session)
            } else {
                try checkIdentity(session)
            }
            for migration in PostgresSchema.migrations where applyingLater && !applied.contains(migration.name) {
                for statement in migration.statements { try session.execute(statement) }
                try record(migration.name, session)
            }
        }
    }

    private static func createBaseline(_ session: PostgresSession) throws {
        for statement in PostgresSchema.baseline { try session.execute(statement) }
        var generator = SystemRandomNumberGenerator()
        let epoch = ByteBuffer(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try session.query(
            "INSERT INTO store_identity (epoch, application_id) VALUES (\(epoch), \(PostgresSchema.applicationId))")
        let baselineNames = StoreMigrations.names.filter { name in
            !PostgresSchema.migrations.contains { $0.name == name }
        }
        for name in baselineNames { try record(name, session) }
    }

    private static func record(_ name: String, _ session: PostgresSession) throws {
        try session.query(
            """
            INSERT INTO schema_migrations (name, applied_at)
            VALUES (\(name), (extract(epoch FROM CURRENT_TIMESTAMP) * 1000)::bigint)
            """)
    }

    /// A database with tables of its own but no broker migrations is not ours to write into.
    private static func refuseForeignTables(_ session: PostgresSession) throws {
        let tables = try session.query(
            """
            SELECT table_name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'
            """
        ).rows.map { try $0.decode(String.self) }
        if !tables.isEmpty {
            let names = tables.sorted().prefix(3).joined(separator: ", ")
            throw PostgresStoreError(
                operation: "open",
                cause: "the database holds tables that are not a referrald store (\(names)): use an empty database",
                kind: .incompatible)
        }
    }

    private static func checkIdentity(_ session: PostgresSession) throws {
        let id = try session.query("SELECT application_id FROM store_identity").rows.first?.decode(Int32.self)
        guard id == PostgresSchema.applicationId else {
            throw PostgresStoreError(
                operation: "open", cause: "store_identity does not mark a referrald broker store", kind: .incompatible)
        }
    }
}
