import BrokerStore
import BrokerStorePostgres
import Foundation
import GRDB
import PostgresNIO
import StoreModel
import Testing

/// The same batches run on a fresh SQLite store and a fresh PostgreSQL store, the reference and the backend under
/// test: their results must be equal, and so must every table, row by row (audit hashes included).
struct TwinStores {
    let sqlitePath: String
    let options: PostgresStoreOptions
    var sqlite: BrokerStore
    var postgres: PostgresBrokerStore

    /// Runs `body` with both stores open; nothing when REFERRAL_TEST_PG_URL is unset (the skip note is printed).
    static func with(_ body: (inout TwinStores) throws -> Void) throws {
        try PostgresTestDatabase.with { options in
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("store-twins-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/broker.sqlite"
            var twins = TwinStores(
                sqlitePath: path, options: options, sqlite: try BrokerStore(path: path),
                postgres: try PostgresBrokerStore(options: options))
            defer {
                try? twins.sqlite.close()
                try? twins.postgres.close()
            }
            try body(&twins)
        }
    }

    /// Runs `units` on both; the results, checked equal.
    @discardableResult
    func run(_ units: [StoreUnit], sourceLocation: SourceLocation = #_sourceLocation) throws -> [UnitResult] {
        let expected = try sqlite.run(units)
        let results = try postgres.run(units)
        #expect(results == expected, sourceLocation: sourceLocation)
        return results
    }

    /// Closes and opens both stores again (a restart).
    mutating func reopen() throws {
        try sqlite.close()
        try postgres.close()
        sqlite = try BrokerStore(path: sqlitePath)
        postgres = try PostgresBrokerStore(options: options)
    }

    /// Every table of both stores, compared row by row, and the counters of committed batches (closes and reopens
    /// the SQLite store to read its file: its counters start again from zero).
    mutating func expectSameTables(sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(postgres.statistics == sqlite.statistics, "statistics", sourceLocation: sourceLocation)
        try sqlite.close()
        let reference = try DatabaseQueue(path: sqlitePath)
        let expected = try reference.read { db in
            try Self.tables.map { table in try String.fetchAll(db, sql: table.select(sqlite: true)) }
        }
        try reference.close()
        sqlite = try BrokerStore(path: sqlitePath)
        let session = try PostgresSession.connectPrimary(options)
        defer { try? session.close() }
        for (table, expectedRows) in zip(Self.tables, expected) {
            let rows = try session.query(PostgresQuery(unsafeSQL: table.select(sqlite: false))).rows.map {
                try $0.decode(String.self)
            }
            #expect(
                table.sorted(rows) == table.sorted(expectedRows), "table \(table.name)", sourceLocation: sourceLocation)
        }
    }

    /// How many rows `table` holds on PostgreSQL.
    func postgresCount(_ table: String) throws -> Int64 {
        let session = try PostgresSession.connectPrimary(options)
        defer { try? session.close() }
        return try session.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).rows.first?.decode(
            Int64.self) ?? -1
    }

    /// A table's rows as text lines, the same on both backends: `~` for NULL, bytes in lowercase hex.
    struct Table {
        var name: String
        var columns: [String]
        var blobs: Set<String> = []
        /// Rows in insertion order (no key of their own to sort by): `events`.
        var ordered = false

        func select(sqlite: Bool) -> String {
            let values = columns.map { column in
                let text: String =
                    if blobs.contains(column) {
                        sqlite ? "lower(hex(\(column)))" : "encode(\(column), 'hex')"
                    } else {
                        "CAST(\(column) AS TEXT)"
                    }
                return "CASE WHEN \(column) IS NULL THEN '~' ELSE \(text) END"
            }
            let order = ordered ? " ORDER BY id" : ""
            return "SELECT \(values.joined(separator: " || '|' || ")) FROM \(name)\(order)"
        }

        /// Sorted in Swift: the two databases may collate text differently.
        func sorted(_ rows: [String]) -> [String] { ordered ? rows : rows.sorted() }
    }

    static let tables: [Table] = [
        Table(
            name: "messages",
            columns: [
                "seq", "sender", "message_id", "digest", "kind", "case_id", "priority", "recipients", "accepted_at",
                "body", "body_purged_at", "body_size",
            ], blobs: ["digest", "body"]),
        Table(
            name: "deliveries",
            columns: [
                "seq", "recipient", "state", "attempts", "first_attempt_at", "done_at", "reason", "receipt_id",
                "discarded_at",
            ]),
        Table(
            name: "receipts", columns: ["id", "sender", "seq", "recipient", "outcome", "at", "reason", "confirmed_at"]),
        Table(name: "events", columns: ["at", "seq", "recipient", "event", "attempt", "detail"], ordered: true),
        Table(name: "held_cases", columns: ["case_id", "recipient", "seq", "since", "reason"]),
        Table(
            name: "audit",
            columns: [
                "id", "at", "event", "node", "peer", "key_fingerprint", "message_id", "seq", "recipient", "kind",
                "code", "detail", "hash",
            ], blobs: ["hash"]),
        Table(
            name: "cases",
            columns: ["case_id", "status", "referrer", "service", "attempt", "opened_at", "updated_at", "risk"]),
        Table(
            name: "deadlines",
            columns: [
                "id", "case_id", "item", "due_at", "level", "policy", "state", "created_at", "closed_at", "region",
                "agency", "risk", "closers", "notice_kind", "armed_by", "notice_sender", "notice_message_id",
                "original_due",
            ]),
        Table(name: "node_backlog", columns: ["node", "open_deliveries", "unconfirmed_receipts"]),
        Table(
            name: "node_overrides",
            columns: [
                "node", "suspended_reason", "suspended_by", "suspended_at", "public_key", "directory_key",
                "previous_key", "previous_until", "rotated_by", "rotated_at",
            ]),
    ]
}
