import BrokerStore
import BrokerStorePostgres
import Foundation
import GRDB
import PostgresNIO
import StoreModel
import Testing

/// The same rows in both backends, written with plain SQL INSERTs (the tables have the same columns), then both
/// stores opened on them: what the PostgreSQL reads return must equal what the SQLite store (the reference) returns.
/// Made-up data only.
struct SeedRows {
    enum Value {
        case int(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    struct Row {
        var table: String
        var columns: [String]
        var values: [Value]
    }

    var rows: [Row] = []

    mutating func insert(_ table: String, _ pairs: KeyValuePairs<String, Value>) {
        rows.append(Row(table: table, columns: pairs.map(\.key), values: pairs.map(\.value)))
    }

    /// Writes the rows into the SQLite file (closed store) through GRDB.
    func write(sqlite path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for row in rows {
                let marks = Array(repeating: "?", count: row.columns.count).joined(separator: ", ")
                try db.execute(
                    sql: "INSERT INTO \(row.table) (\(row.columns.joined(separator: ", "))) VALUES (\(marks))",
                    arguments: StatementArguments(row.values.map(\.sqlite)))
            }
        }
        try queue.close()
    }

    /// Writes the rows into PostgreSQL through a session of the store's database, in order; consecutive rows of the
    /// same table and columns go in one multi-row INSERT (up to 500 rows).
    func write(postgres session: PostgresSession) throws {
        var start = 0
        while start < rows.count {
            let first = rows[start]
            var end = start + 1
            while end < rows.count, end - start < 500, rows[end].table == first.table,
                rows[end].columns == first.columns
            {
                end += 1
            }
            var binds = PostgresBindings()
            var tuples: [String] = []
            for row in rows[start..<end] {
                var marks: [String] = []
                for value in row.values {
                    switch value {
                    case .int(let v): binds.append(v)
                    case .text(let v): binds.append(v)
                    case .blob(let v): binds.append(ByteBuffer(bytes: v))
                    case .null: binds.appendNull()
                    }
                    marks.append("$\(binds.count)")
                }
                tuples.append("(" + marks.joined(separator: ", ") + ")")
            }
            try session.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(first.table) (\(first.columns.joined(separator: ", "))) VALUES "
                        + tuples.joined(separator: ", "), binds: binds))
            start = end
        }
    }

    /// Every row of `table` of an SQLite file, as seed rows (to copy what the SQLite store itself wrote).
    static func read(table: String, sqlite path: String) throws -> SeedRows {
        var seed = SeedRows()
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            for row in try GRDB.Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid") {
                let values: [Value] = row.databaseValues.map { value in
                    switch value.storage {
                    case .null: .null
                    case .int64(let v): .int(v)
                    case .double(let v): .int(Int64(v))
                    case .string(let v): .text(v)
                    case .blob(let v): .blob([UInt8](v))
                    }
                }
                seed.rows.append(Row(table: table, columns: Array(row.columnNames), values: values))
            }
        }
        try queue.close()
        return seed
    }
}

extension SeedRows.Value {
    var sqlite: (any DatabaseValueConvertible)? {
        switch self {
        case .int(let v): v
        case .text(let v): v
        case .blob(let v): Data(v)
        case .null: nil
        }
    }
}

extension SeedRows.Value: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    init(integerLiteral value: Int64) { self = .int(value) }
    init(stringLiteral value: String) { self = .text(value) }
    init(nilLiteral: ()) { self = .null }
}

/// The default collation of the test database. The cluster's (C.UTF-8) orders text as SQLite does, byte by byte;
/// a database whose default collation is ICU's English one does not ("a" < "B", "-" and "_" ignored at first): the
/// reads must still order as SQLite (`COLLATE "C"`).
enum DatabaseLocale: String, CaseIterable, Sendable, CustomStringConvertible {
    case cluster
    case icuEnglish

    var description: String { rawValue }

    func withDatabase(_ body: (PostgresStoreOptions) throws -> Void) throws {
        switch self {
        case .cluster:
            try PostgresTestDatabase.with(body)
        case .icuEnglish:
            guard let cluster = PostgresTestCluster.shared else {
                print(PostgresTestCluster.skipNote.rawValue)
                return
            }
            let name = "t_icu_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try cluster.psql(
                cluster.url,
                "CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8' "
                    + "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
            defer { try? cluster.dropDatabase(name) }
            guard let options = PostgresStoreOptions(url: try cluster.url(ofDatabase: name)) else {
                throw PostgresTestClusterError("not a URL the store reads: \(cluster.url)")
            }
            try body(options)
        }
    }
}

/// Both stores opened on the same rows.
struct BothStores {
    let sqlite: BrokerStore
    let postgres: PostgresBrokerStore
    let sqlitePath: String
    let options: PostgresStoreOptions

    /// Creates both stores, lets `prepare` write into the SQLite store through its own units (e.g. audit records with
    /// their real hashes) and the closed files through `seed`, copies `copied` tables from SQLite to PostgreSQL,
    /// then opens both on the result and runs `body`.
    static func with(
        seed: SeedRows, locale: DatabaseLocale = .cluster, prepare: (BrokerStore) throws -> Void = { _ in },
        copied: [String] = [],
        edit: (_ sqlitePath: String, _ options: PostgresStoreOptions) throws -> Void = { _, _ in },
        _ body: (BothStores) throws -> Void
    ) throws {
        try locale.withDatabase { options in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pg-read-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/broker.sqlite"
            let created = try BrokerStore(path: path)
            try prepare(created)
            try created.close()
            try seed.write(sqlite: path)
            try PostgresBrokerStore(options: options).close()
            let session = try PostgresSession.connectPrimary(options)
            try seed.write(postgres: session)
            for table in copied { try SeedRows.read(table: table, sqlite: path).write(postgres: session) }
            try session.close()
            try edit(path, options)
            let stores = BothStores(
                sqlite: try BrokerStore(path: path), postgres: try PostgresBrokerStore(options: options),
                sqlitePath: path, options: options)
            defer {
                try? stores.sqlite.close()
                try? stores.postgres.close()
            }
            try body(stores)
        }
    }

    /// The read on both stores; expects equal results (`what` names the call in a failure) and returns SQLite's.
    @discardableResult
    func same<T: Equatable>(
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ read: (any BrokerStoring) throws -> T
    ) throws -> T {
        let reference = try read(sqlite)
        let result = try read(postgres)
        #expect(result == reference, "\(what)", sourceLocation: sourceLocation)
        return reference
    }
}
