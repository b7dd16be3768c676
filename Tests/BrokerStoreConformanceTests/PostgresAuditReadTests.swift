import BrokerStore
import BrokerStorePostgres
import Foundation
import GRDB
import StoreModel
import Testing

/// The audit chain on PostgreSQL: records written by the SQLite store (its real hashes) copied row by row, then
/// verified and exported by both stores, intact and after edits made behind the stores' backs (the append-only
/// trigger dropped, or disabled by the superuser): the same verdict, at the same id, with the same problem.
@Suite(.serialized) struct PostgresAuditReadTests {
    /// Texts that exercise the canonical JSON: escapes, a control character, non-ASCII, '/'.
    static let events: [AuditEvent] = [
        AuditEvent(at: 1_000, event: .accepted, node: "school-1", messageId: "m-1", seq: 7, kind: "referral"),
        AuditEvent(at: 1_001, event: .authFailed, peer: "10.0.0.9:5555", keyFingerprint: "0123456789abcdef"),
        AuditEvent(
            at: 1_002, event: .deadLettered, node: "clinic/2", recipient: "社工站", code: "FORBIDDEN",
            detail: "line\nbreak \"quoted\" back\\slash tab\t bell\u{7} é"),
        AuditEvent(at: 1_003, event: .acked, node: "node-b", messageId: "m-2", seq: -3),
        AuditEvent(at: 1_004, event: .directoryReloaded, detail: ""),
        AuditEvent(at: 1_005, event: .sessionEnded, node: "node-c"),
    ]

    static func withAudit(
        sqlite sqliteEdit: String? = nil, postgres postgresEdit: String? = nil, _ body: (BothStores) throws -> Void
    ) throws {
        try BothStores.with(
            seed: SeedRows(), prepare: { store in _ = try store.run(Self.events.map { .audit($0) }) },
            copied: ["audit"],
            edit: { path, options in
                if let sqliteEdit {
                    let queue = try DatabaseQueue(path: path)
                    try queue.write { db in
                        try db.execute(sql: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " + sqliteEdit)
                    }
                    try queue.close()
                }
                if let postgresEdit { try superuser(options, postgresEdit) }
            }, body)
    }

    /// Runs `sql` on the store's database as the superuser with the append-only trigger disabled.
    static func superuser(_ options: PostgresStoreOptions, _ sql: String) throws {
        let url = "postgresql://postgres@\(options.hosts[0])/\(options.database)"
        try PostgresTestCluster(url: url).psql(
            url,
            "ALTER TABLE audit DISABLE TRIGGER audit_append_only; \(sql); "
                + "ALTER TABLE audit ENABLE TRIGGER audit_append_only")
    }

    @Test func anIntactChainVerifiesAndExportsAsOnSQLite() throws {
        try Self.withAudit { both in
            let verdict = try both.same("verifyAudit") { try $0.verifyAudit() }
            guard case .intact(let records, let lastHash) = verdict else {
                Issue.record("the copied chain does not verify: \(verdict)")
                return
            }
            #expect(records == 6 && lastHash.count == 64)
            for since in [Int64.min, 0, 1_002, 1_005, 1_006, .max] {
                for limit in [nil, 0, 1, 2, 100, -1] as [Int?] {
                    try both.same("exportAudit \(since) \(String(describing: limit))") {
                        try $0.exportAudit(since: since, limit: limit)
                    }
                }
            }
            let exported = try both.postgres.exportAudit(since: 1_002, limit: 2)
            #expect(exported.map(\.id) == [3, 4])
            #expect(exported.first?.entry == Self.events[2])
        }
    }

    @Test func anEditedRecordIsReportedAtItsIdAsOnSQLite() throws {
        let edit = "UPDATE audit SET detail = 'nothing happened' WHERE id = 3"
        try Self.withAudit(sqlite: edit, postgres: edit) { both in
            let verdict = try both.same("verifyAudit") { try $0.verifyAudit() }
            #expect(verdict == .broken(atId: 3, problem: AuditVerification.Problem.changed))
        }
    }

    @Test func aDeletedRecordIsReportedAsOnSQLite() throws {
        let edit = "DELETE FROM audit WHERE id = 2"
        try Self.withAudit(sqlite: edit, postgres: edit) { both in
            let verdict = try both.same("verifyAudit") { try $0.verifyAudit() }
            #expect(verdict == .broken(atId: 3, problem: AuditVerification.Problem.missing))
            try both.same("exportAudit") { try $0.exportAudit(since: 0, limit: nil) }
        }
    }

    @Test func swappedRecordsAreReportedOutOfOrderAsOnSQLite() throws {
        let columns = "at, event, node, peer, key_fingerprint, message_id, seq, recipient, kind, code, detail, hash"
        let swap = """
            CREATE TEMP TABLE audit_copy AS SELECT * FROM audit;
            UPDATE audit SET (\(columns)) = (SELECT \(columns) FROM audit_copy c WHERE c.id = 7 - audit.id)
            WHERE id IN (3, 4)
            """
        try Self.withAudit(sqlite: swap, postgres: swap) { both in
            let verdict = try both.same("verifyAudit") { try $0.verifyAudit() }
            #expect(verdict == .broken(atId: 3, problem: AuditVerification.Problem.outOfOrder))
        }
    }

    @Test func aHashOfTheWrongSizeIsReportedAndNotExportedAsOnSQLite() throws {
        try Self.withAudit(
            sqlite: "UPDATE audit SET hash = substr(hash, 1, 31) WHERE id = 5",
            postgres: "UPDATE audit SET hash = substring(hash FROM 1 FOR 31) WHERE id = 5"
        ) { both in
            let verdict = try both.same("verifyAudit") { try $0.verifyAudit() }
            #expect(verdict == .broken(atId: 5, problem: AuditVerification.Problem.changed))
            try both.same("exportAudit before the bad row") { try $0.exportAudit(since: 0, limit: 4) }
            let sqliteExport = Result { try both.sqlite.exportAudit(since: 0, limit: nil) }
            let postgresExport = Result { try both.postgres.exportAudit(since: 0, limit: nil) }
            #expect((try? sqliteExport.get()) == nil)
            #expect((try? postgresExport.get()) == nil)
        }
    }

    /// PostgreSQL reads the chain 10,000 rows a statement: an edit on the last row of the first page is judged with
    /// the first row of the next one (the lookahead that tells "changed" from "moved").
    @Test func aChainLongerThanAPageIsVerifiedAcrossThePageBoundaryAsOnSQLite() throws {
        let events = (0..<10_003).map { AuditEvent(at: 2_000 + Int64($0), event: .acked, node: "node-\($0 % 7)") }
        for edit in [nil, "UPDATE audit SET node = 'someone else' WHERE id = 10000"] {
            try BothStores.with(
                seed: SeedRows(), prepare: { store in _ = try store.run(events.map { .audit($0) }) }, copied: ["audit"],
                edit: { path, options in
                    guard let edit else { return }
                    let queue = try DatabaseQueue(path: path)
                    try queue.write { db in
                        try db.execute(sql: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " + edit)
                    }
                    try queue.close()
                    try Self.superuser(options, edit)
                }
            ) { both in
                let verdict = try both.same("verifyAudit \(edit ?? "intact")") { try $0.verifyAudit() }
                if edit == nil {
                    guard case .intact(let records, _) = verdict else {
                        Issue.record("the long chain does not verify: \(verdict)")
                        return
                    }
                    #expect(records == 10_003)
                } else {
                    #expect(verdict == .broken(atId: 10_000, problem: AuditVerification.Problem.changed))
                }
            }
        }
    }

    @Test func recordsDeletedAtTheEndWhileOpenAreMissingAtTheEnd() throws {
        try Self.withAudit { both in
            try Self.superuser(both.options, "DELETE FROM audit WHERE id >= 5")
            let verdict = try both.postgres.verifyAudit()
            #expect(verdict == .broken(atId: 5, problem: AuditVerification.Problem.missingAtEnd))
        }
    }
}
