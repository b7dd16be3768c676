import BrokerStore
import BrokerStorePostgres
import Foundation
import GRDB
import PostgresNIO
import StoreModel
import Testing

/// `referrald store copy`'s two halves (BrokerStore.copyOut, PostgresStoreCopy): an SQLite store written by the store
/// itself and by plain INSERTs (NULLs, bytes, texts of every shape, purged bodies, closed rows, a raised AUTOINCREMENT
/// counter) copied into a fresh PostgreSQL database: every table equal row by row, the same reads, and the same
/// numbers for what comes next. Refusals leave the database as it was. Made-up data only.
@Suite(.serialized) struct StoreCopyTests {
    // MARK: - Pure

    /// The plan names every column SQLite's tables have after every migration, with its storage class.
    @Test func thePlanHasEveryColumnOfTheSQLiteStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("copy-plan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/broker.sqlite"
        try BrokerStore(path: path).close()
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let tables = try queue.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    AND name NOT IN ('grdb_migrations', 'store_identity') ORDER BY name
                    """)
        }
        #expect(tables == StoreCopyPlan.tables.map(\.name).sorted())
        for table in StoreCopyPlan.tables {
            let columns = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_info('\(table.name)') ORDER BY cid")
                    .map { row -> StoreCopyTable.Column in
                        let type: String = row[1]
                        let kind: StoreCopyColumnKind =
                            switch type {
                            case "INTEGER": .integer
                            case "BLOB": .blob
                            default: .text
                            }
                        return StoreCopyTable.Column(row[0], kind)
                    }
            }
            #expect(columns == table.columns, "table \(table.name)")
        }
        let identity = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('store_identity')")
        }
        #expect(identity == ["epoch"], "store_identity holds more than the epoch: carry it in StoreCopyOrigin")
    }

    /// And every column of PostgreSQL's tables, but what only PostgreSQL keeps (the lease, its migrations, the
    /// identity row whose epoch and floors the origin carries).
    @Test func thePlanHasEveryColumnOfThePostgreSQLStore() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let session = try PostgresSession.connectPrimary(options)
            defer { try? session.close() }
            let rows = try session.query(
                """
                SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
                WHERE table_schema = current_schema()
                AND table_name NOT IN ('broker_lease', 'schema_migrations', 'store_identity')
                ORDER BY table_name, ordinal_position
                """
            ).rows.map { try $0.decode((String, String, String).self) }
            var tables: [String: [StoreCopyTable.Column]] = [:]
            for (table, column, type) in rows {
                let kind: StoreCopyColumnKind =
                    switch type {
                    case "bigint": .integer
                    case "bytea": .blob
                    default: .text
                    }
                #expect(["bigint", "bytea", "text"].contains(type), "\(table).\(column) is \(type)")
                tables[table, default: []].append(StoreCopyTable.Column(column, kind))
            }
            #expect(Set(tables.keys) == Set(StoreCopyPlan.tables.map(\.name)))
            for table in StoreCopyPlan.tables {
                #expect(tables[table.name] == table.columns, "table \(table.name)")
            }
        }
    }

    @Test func pagesAreBoundedByRowsAndBySize() {
        let table = StoreCopyPlan.tables[0]
        var pager = StoreCopyPager(table: table, maxRows: 3, maxBytes: 100)
        #expect(pager.add([.integer(1)]) == nil)
        #expect(pager.add([.integer(2)]) == nil)
        #expect(pager.add([.integer(3)])?.rows == [[.integer(1)], [.integer(2)], [.integer(3)]])
        #expect(pager.add([.blob(Array(repeating: 7, count: 150))])?.rows.count == 1)
        #expect(pager.add([.text("a")]) == nil)
        #expect(pager.finish()?.rows == [[.text("a")]])
        #expect(pager.finish() == nil)
    }

    @Test func theInsertUnnestsOneArrayPerColumn() {
        let table = StoreCopyTable(
            "node_backlog", key: ["node"],
            [.init("node", .text), .init("open_deliveries", .integer), .init("digest", .blob)])
        #expect(
            PostgresStoreCopy.insertStatement(for: table)
                == "INSERT INTO node_backlog (node, open_deliveries, digest) SELECT * FROM UNNEST($1::text[], "
                + "$2::bigint[], $3::bytea[])")
    }

    @Test func originsNameWhatDiffersNeverAValue() {
        let counts = Dictionary(uniqueKeysWithValues: StoreCopyPlan.tables.map { ($0.name, Int64(2)) })
        let source = StoreCopyOrigin(
            epoch: Array(repeating: 1, count: 16), seqFloor: 9, receiptFloor: 4, rowCounts: counts, auditTipId: 3,
            auditTipHash: Array(repeating: 5, count: 32))
        #expect(source.differences(from: source).isEmpty)
        var copy = source
        copy.epoch = Array(repeating: 2, count: 16)
        copy.seqFloor = 8
        copy.rowCounts["deliveries"] = 1
        copy.auditTipHash = Array(repeating: 6, count: 32)
        #expect(
            source.differences(from: copy) == [
                "the store epoch differs", "seq floor 8, not 9", "deliveries holds 1 rows, not 2",
                "audit record 3 has another hash than the source's",
            ])
    }

    // MARK: - Against PostgreSQL

    /// Every table equal row by row (ids, seqs, hashes, NULLs, bytes), the same store epoch, the same reads; then the
    /// same units on both give the same seq, deadline id and audit record (the floors and tips carried over), and a
    /// trail event gets an id after the copied ones.
    @Test func aCopyHoldsWhatTheSQLiteStoreHolds() throws {
        try Self.withSource { path in
            try PostgresTestDatabase.with { options in
                let source = try BrokerStore(path: path)
                let summary = try PostgresStoreCopy.copy(into: options) { writer in
                    try source.copyOut(to: writer, pageRows: 4)
                }
                let sourceEpoch = source.epoch
                try source.close()
                #expect(summary.origin.seqFloor == 900 && summary.origin.receiptFloor == 700)
                #expect(summary.rows.first { $0.table == "messages" }?.count == 12)
                if case .intact(let records, _) = summary.audit {
                    #expect(records == PostgresAuditReadTests.events.count)
                } else {
                    Issue.record("audit \(summary.audit)")
                }
                try Self.expectSameRows(sqlite: path, postgres: options)

                let both = BothStores(
                    sqlite: try BrokerStore(path: path), postgres: try PostgresBrokerStore(options: options),
                    sqlitePath: path, options: options)
                defer {
                    try? both.sqlite.close()
                    try? both.postgres.close()
                }
                #expect(both.postgres.epoch == sourceEpoch && sourceEpoch.count == 16)
                try both.same("lastReceiptId") { try $0.lastReceiptId() }
                try both.same("openDeliveryCounts") { try $0.openDeliveryCounts() }
                try both.same("unconfirmedReceiptCounts") { try $0.unconfirmedReceiptCounts() }
                try both.same("loadOpenDeliveries") { try $0.loadOpenDeliveries() }
                try both.same("loadHeldCases") { try $0.loadHeldCases() }
                try both.same("nodeOverrides") { try $0.nodeOverrides() }
                try both.same("deadLetterCounts") { try $0.deadLetterCounts() }
                try both.same("trail c1") { try $0.trail(caseId: "c1") }
                try both.same("aggregates") { try $0.aggregates(now: 6_000) }
                try both.same("verifyAudit") { try $0.verifyAudit() }
                let next: [StoreUnit] = [
                    .accept(AcceptUnit(message: message("after-copy", from: "node-q"))),
                    .setDeadline(deadline("answer:node-b:after-copy")),
                    .trail(
                        TrailEventRecord(at: 7_000, seq: 901, recipient: nil, event: .routed, attempt: nil, detail: nil)
                    ),
                    .audit(AuditEvent(at: 7_000, event: .accepted, node: "node-q", messageId: "after-copy", seq: 901)),
                ]
                let expected = try both.sqlite.run(next)
                #expect(try both.postgres.run(next) == expected)
                if case .accepted(.stored(let seq)) = expected.first {
                    #expect(seq == 901)
                } else {
                    Issue.record("not stored: \(String(describing: expected.first))")
                }
                try both.same("verifyAudit after") { try $0.verifyAudit() }
                try both.sqlite.close()
                try Self.expectSameRows(sqlite: path, postgres: options)
            }
        }
    }

    /// A database that already holds a store (here: one message) is refused, and left as it was.
    @Test func aTargetThatHoldsAStoreIsRefusedAndLeftUnchanged() throws {
        try Self.withSource { path in
            try PostgresTestDatabase.with { options in
                let target = try PostgresBrokerStore(options: options)
                _ = try target.run([.accept(AcceptUnit(message: message("already-there")))])
                let epoch = target.epoch
                try target.close()
                let source = try BrokerStore(path: path)
                defer { try? source.close() }
                #expect {
                    _ = try PostgresStoreCopy.copy(into: options) { try source.copyOut(to: $0) }
                } throws: { error in
                    "\(error)".contains("already holds a broker store (messages: 1 rows")
                }
                let after = try PostgresBrokerStore(options: options)
                defer { try? after.close() }
                #expect(after.epoch == epoch)
                #expect(try after.loadMessages(seqs: [1, 2]).map(\.messageId) == ["already-there"])
            }
        }
    }

    /// A copy that does not match its source (a source that miscounts), or whose audit chain does not verify (a
    /// record whose hash was not computed by the chain), rolls back: the database holds no row and its own epoch.
    @Test func aCopyThatDoesNotCheckOutIsRolledBack() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let before = try PostgresBrokerStore(options: options)
            let epoch = before.epoch
            try before.close()
            var counts = Dictionary(uniqueKeysWithValues: StoreCopyPlan.tables.map { ($0.name, Int64(0)) })
            counts["cases"] = 1
            let origin = StoreCopyOrigin(
                epoch: Array(repeating: 9, count: 16), seqFloor: 3, receiptFloor: 0, rowCounts: counts, auditTipId: 0,
                auditTipHash: [])
            #expect {
                _ = try PostgresStoreCopy.copy(into: options) { writer in
                    try writer.begin(origin)
                    return origin
                }
            } throws: { error in
                "\(error)".contains("does not match its source (cases holds 0 rows, not 1)")
            }
            let audit = StoreCopyPlan.tables.first { $0.name == "audit" }!
            let forged: [StoreCopyValue] = [
                .integer(1), .integer(1_000), .text("accepted"), .text("node-a"), .null, .null, .null, .null, .null,
                .null, .null, .null, .blob(Array(repeating: 0xAB, count: 32)),
            ]
            counts["cases"] = 0
            counts["audit"] = 1
            let forgedOrigin = StoreCopyOrigin(
                epoch: Array(repeating: 9, count: 16), seqFloor: 0, receiptFloor: 0, rowCounts: counts, auditTipId: 1,
                auditTipHash: Array(repeating: 0xAB, count: 32))
            #expect {
                _ = try PostgresStoreCopy.copy(into: options) { writer in
                    try writer.begin(forgedOrigin)
                    try writer.append(StoreCopyPage(table: audit, rows: [forged]))
                    return forgedOrigin
                }
            } throws: { error in
                "\(error)".contains("the audit chain does not verify (record 1: record changed)")
            }
            let after = try PostgresBrokerStore(options: options)
            defer { try? after.close() }
            #expect(after.epoch == epoch)
            #expect(try after.verifyAudit() == .intact(records: 0, lastHash: String(repeating: "0", count: 64)))
            #expect(try after.lastReceiptId() == 0)
        }
    }

    /// While an instance holds the lease on the database, the copy is refused (it could be writing there).
    @Test func aDatabaseWithAnActiveInstanceIsRefused() throws {
        try Self.withSource { path in
            try PostgresTestDatabase.with { options in
                try PostgresBrokerStore(options: options).close()
                let session = try PostgresSession.connectPrimary(options)
                try session.query(
                    """
                    UPDATE broker_lease SET epoch = epoch + 1, holder = 'broker-a',
                    expires_at = CURRENT_TIMESTAMP + interval '10 minutes' WHERE id = 1
                    """)
                try session.close()
                let source = try BrokerStore(path: path)
                defer { try? source.close() }
                #expect {
                    _ = try PostgresStoreCopy.copy(into: options) { try source.copyOut(to: $0) }
                } throws: { error in
                    "\(error)".contains("referrald instance \"broker-a\" holds the lease")
                }
            }
        }
    }

    // MARK: - Support

    /// An SQLite store (closed) with audit records written by the store, `SeedRows.all` and raised counters: seqs
    /// given up to 900 and receipt numbers up to 700 (what `accept-rollback` leaves).
    static func withSource(_ body: (String) throws -> Void) throws {
        guard PostgresTestCluster.isConfigured else {
            print(PostgresTestCluster.skipNote.rawValue)
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("copy-src-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/broker.sqlite"
        let created = try BrokerStore(path: path)
        _ = try created.run(PostgresAuditReadTests.events.map { .audit($0) })
        try created.close()
        try SeedRows.all.write(sqlite: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = 900 WHERE name = 'messages'")
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = 700 WHERE name = 'receipts'")
        }
        try queue.close()
        try body(path)
    }

    /// Every table of the plan read from both databases (the SQLite store closed): the same rows, every column.
    static func expectSameRows(
        sqlite path: String, postgres options: PostgresStoreOptions, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let queue = try DatabaseQueue(path: path)
        let expected = try queue.read { db in
            try StoreCopyPlan.tables.map { table in try String.fetchAll(db, sql: select(table, sqlite: true)) }
        }
        try queue.close()
        let session = try PostgresSession.connectPrimary(options)
        defer { try? session.close() }
        for (table, rows) in zip(StoreCopyPlan.tables, expected) {
            let copied = try session.query(PostgresQuery(unsafeSQL: select(table, sqlite: false))).rows.map {
                try $0.decode(String.self)
            }
            #expect(!rows.isEmpty, "no \(table.name) rows to compare", sourceLocation: sourceLocation)
            #expect(copied.sorted() == rows.sorted(), "table \(table.name)", sourceLocation: sourceLocation)
        }
    }

    static func select(_ table: StoreCopyTable, sqlite: Bool) -> String {
        let values = table.columns.map { column in
            let text =
                column.kind == .blob
                ? (sqlite ? "lower(hex(\(column.name)))" : "encode(\(column.name), 'hex')")
                : "CAST(\(column.name) AS TEXT)"
            return "CASE WHEN \(column.name) IS NULL THEN '~' ELSE \(text) END"
        }
        return "SELECT \(values.joined(separator: " || '|' || ")) FROM \(table.name)"
    }
}
