import BrokerStore
import Foundation
import GRDB
import ReferralProtocol
import Testing

/// An attacker edits the file while the broker is stopped (separate connection, triggers dropped first); the
/// broker is started again and the chain is verified.
@Suite struct AuditTamperTests {
    /// A closed store file holding `count` records (plus some messages), handed to `body` with its path.
    private func withTrail(count: Int = 10, _ body: (String) throws -> Void) throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            _ = try store.run([
                .accept(AcceptUnit(message: message("m1"))), .audit(auditEvent(0, event: .sessionOpened)),
            ])
            try appendAudits(store, count: count - 1, batch: 3)
            #expect(try store.verifyAudit().records == count)
            try store.close()
            try body(path)
        }
    }

    private func verify(_ path: String) throws -> AuditVerification {
        let store = try BrokerStore(path: path)
        defer { try? store.close() }
        return try store.verifyAudit()
    }

    @Test func editedFieldIsReportedAsChangedAtThatId() throws {
        for edit in [
            "UPDATE audit SET detail = 'attempt 99' WHERE id = 5",
            "UPDATE audit SET code = NULL WHERE id = 5",
            "UPDATE audit SET at = at + 1 WHERE id = 5",
            "UPDATE audit SET at = at + 100000 WHERE id = 5",  // later than the next record: still "changed"
            "UPDATE audit SET at = 0 WHERE id = 5",  // earlier than the previous record: still "changed"
            "UPDATE audit SET event = 'session-ended' WHERE id = 5",
            "UPDATE audit SET seq = 1 WHERE id = 5",
        ] {
            try withTrail { path in
                try tamper(path, edit)
                #expect(try verify(path) == .broken(atId: 5, problem: "record changed"), "\(edit)")
            }
        }
    }

    @Test func editedHashOrMalformedRowIsReported() throws {
        for edit in [
            "UPDATE audit SET hash = zeroblob(32) WHERE id = 5",
            "UPDATE audit SET hash = x'00' WHERE id = 5",
            // Text hidden after a NUL: what a C string shows is unchanged.
            "UPDATE audit SET detail = CAST(detail || x'00' || 'hidden' AS TEXT) WHERE id = 5",
            "UPDATE audit SET detail = CAST(x'ff' AS TEXT) WHERE id = 5",  // invalid UTF-8
        ] {
            try withTrail { path in
                try tamper(path, edit)
                #expect(try verify(path) == .broken(atId: 5, problem: "record changed"), "\(edit)")
            }
        }
    }

    @Test func editedFirstAndLastRecordsAreFound() throws {
        try withTrail { path in
            try tamper(path, "UPDATE audit SET node = 'nodeX' WHERE id = 1")
            #expect(try verify(path) == .broken(atId: 1, problem: "record changed"))
        }
        try withTrail { path in
            try tamper(path, "UPDATE audit SET detail = 'x' WHERE id = 10")
            #expect(try verify(path) == .broken(atId: 10, problem: "record changed"))
        }
    }

    @Test func deletedRecordIsReportedAsMissingAtTheNextId() throws {
        try withTrail { path in
            try tamper(path, "DELETE FROM audit WHERE id = 5")
            #expect(try verify(path) == .broken(atId: 6, problem: "record missing before this one"))
        }
        try withTrail { path in
            try tamper(path, "DELETE FROM audit WHERE id IN (1, 2)")
            #expect(try verify(path) == .broken(atId: 3, problem: "record missing before this one"))
        }
        // Deleting and renumbering the rest to close the gap: the store now ends one record early, which its
        // high-water mark shows at open; once the loss is accepted, the chain is broken at the gap.
        try withTrail { path in
            try tamper(
                path,
                """
                DELETE FROM audit WHERE id = 5;
                UPDATE audit SET id = -id WHERE id > 5;
                UPDATE audit SET id = -id - 1 WHERE id < 0;
                """)
            #expect(throws: BrokerStoreError.self) { try verify(path) }
            let store = try BrokerStore.acceptRollback(path: path)
            defer { try? store.close() }
            #expect(try store.verifyAudit().brokenId == 5)
        }
    }

    @Test func swappedRecordsAreReported() throws {
        let columns = "at, event, node, peer, key_fingerprint, message_id, seq, recipient, kind, code, detail"
        // Whole records moved (ids swapped): out of order where the first one moved.
        try withTrail { path in
            try tamper(
                path,
                """
                UPDATE audit SET id = -3 WHERE id = 3;
                UPDATE audit SET id = 3 WHERE id = 7;
                UPDATE audit SET id = 7 WHERE id = -3;
                """)
            #expect(try verify(path) == .broken(atId: 3, problem: "records out of order"))
        }
        // Neighbours swapped.
        try withTrail { path in
            try tamper(
                path,
                """
                UPDATE audit SET id = -4 WHERE id = 4;
                UPDATE audit SET id = 4 WHERE id = 5;
                UPDATE audit SET id = 5 WHERE id = -4;
                """)
            #expect(try verify(path) == .broken(atId: 4, problem: "records out of order"))
        }
        // Contents swapped, hashes left in place: the first swapped record no longer matches its hash.
        try withTrail { path in
            try tamper(
                path,
                """
                CREATE TEMP TABLE t AS SELECT * FROM audit WHERE id IN (3, 7);
                UPDATE audit SET (\(columns)) = (SELECT \(columns) FROM t WHERE t.id = 10 - audit.id)
                WHERE id IN (3, 7);
                """)
            #expect(try verify(path).brokenId == 3)
        }
    }

    @Test func triggersRefuseUpdateAndDelete() throws {
        try withTrail { path in
            for sql in [
                "UPDATE audit SET detail = 'x' WHERE id = 2", "DELETE FROM audit WHERE id = 2", "DELETE FROM audit",
            ] {
                let error = #expect(throws: DatabaseError.self) { try tamper(path, dropTriggers: false, sql) }
                #expect(error?.resultCode == .SQLITE_CONSTRAINT, "\(sql)")
                #expect(error?.message?.contains("append-only") == true)
            }
            guard case .intact(10, _) = try verify(path) else {
                Issue.record("refused edits changed the trail")
                return
            }
        }
    }

    @Test func tamperingWhileTheStoreIsOpenIsLockedOut() throws {
        // The store keeps SQLite's exclusive lock while open: no other connection can edit (or read) it.
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            try appendAudits(store, count: 3)
            #expect(throws: DatabaseError.self) { try tamper(path, "DELETE FROM audit WHERE id >= 2") }
            #expect(try store.verifyAudit().records == 3)
        }
    }

    @Test func cuttingTheNewestRecordsIsCaughtByTheHighWaterMark() throws {
        // Deleting the newest records while the broker is stopped: the store is refused at open (it holds less
        // than its mark says it wrote); accepting the loss records it, and the chain goes on from there.
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            var store = try BrokerStore(path: path)
            try appendAudits(store, count: 5)
            try store.close()
            try tamper(path, "DELETE FROM audit WHERE id = 5")
            let error = #expect(throws: BrokerStoreError.self) { try BrokerStore(path: path) }
            #expect(error?.kind == .rolledBack)
            store = try BrokerStore.acceptRollback(path: path)
            defer { try? store.close() }
            try appendAudits(store, count: 1, from: 6)
            #expect(
                try store.exportAudit(since: 0, limit: nil).map(\.entry.event).suffix(2) == [
                    "store-rolled-back", "auth-failed",
                ])
            #expect(try store.verifyAudit().records == 6)
        }
    }

    @Test func aChainRewrittenWhileStoppedIsSeenAgainstTheMark() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            var store = try BrokerStore(path: path)
            try appendAudits(store, count: 3)
            let rows = try store.exportAudit(since: 0, limit: nil)
            try store.close()
            try tamper(path, rewrittenChain(rows, editing: 1))
            store = try BrokerStore(path: path)
            defer { try? store.close() }
            #expect(store.auditTailProblem?.contains("chain rewritten") == true)
            // Honest limit: the chain itself is consistent; only the mark (or an exported hash) shows the forgery.
            guard case .intact(3, let lastHash) = try store.verifyAudit() else {
                Issue.record("expected a consistent (forged) chain")
                return
            }
            #expect(lastHash != rows[2].hash)
        }
    }
}

extension AuditVerification {
    var records: Int? {
        if case .intact(let records, _) = self { return records }
        return nil
    }

    var brokenId: Int64? {
        if case .broken(let id, _) = self { return id }
        return nil
    }
}
