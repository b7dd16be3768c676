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
            _ = try store.apply([.accept(message("m1")), .audit(auditEvent(0, event: "session-opened"))])
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
        // Deleting and renumbering the rest to close the gap breaks the chain at the gap.
        try withTrail { path in
            try tamper(
                path,
                """
                DELETE FROM audit WHERE id = 5;
                UPDATE audit SET id = -id WHERE id > 5;
                UPDATE audit SET id = -id - 1 WHERE id < 0;
                """)
            let verdict = try verify(path)
            #expect(verdict.brokenId == 5)
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

    @Test func tamperingWhileTheStoreIsOpenIsCheckedAgainstItsTip() throws {
        // The store remembers the newest id and hash it wrote: deleting the newest records, or rewriting the whole
        // chain consistently, is caught while it stays open.
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            try appendAudits(store, count: 10)
            try tamper(path, "DELETE FROM audit WHERE id >= 9")
            #expect(try store.verifyAudit() == .broken(atId: 9, problem: "records missing at the end"))
        }
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            try appendAudits(store, count: 3)
            // Rewrite record 1 and recompute every hash after it, as someone who knows the encoding would.
            let rows = try store.exportAudit(since: 0, limit: nil)
            var previous = [UInt8](repeating: 0, count: 32)
            var updates: [String] = ["UPDATE audit SET detail = 'forged' WHERE id = 1"]
            for var row in rows {
                if row.id == 1 { row.entry.detail = "forged" }
                row.hash = ""
                let line = BrokerStore.jsonLine(row)
                let canonical = String(line.dropLast(#","hash":""}"#.count)) + "}"
                previous = SHA256.hash(previous + Array(canonical.utf8))
                updates.append("UPDATE audit SET hash = x'\(hex(previous))' WHERE id = \(row.id)")
            }
            try tamper(path, updates.joined(separator: ";"))
            #expect(try store.verifyAudit() == .broken(atId: 3, problem: "chain rewritten"))
            // Honest limit: a store opened afterwards has no anchor; only an exported hash held elsewhere shows it.
            try store.close()
            guard case .intact(3, let lastHash) = try verify(path) else {
                Issue.record("expected a consistent (forged) chain")
                return
            }
            #expect(lastHash != rows[2].hash)
        }
    }

    @Test func appendingAfterTheTailWasCutLeavesAVisibleGap() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            defer { try? store.close() }
            try appendAudits(store, count: 5)
            try tamper(path, "DELETE FROM audit WHERE id = 5")
            try appendAudits(store, count: 1, from: 6)
            #expect(try store.exportAudit(since: 0, limit: nil).map(\.id) == [1, 2, 3, 4, 6])
            #expect(try store.verifyAudit() == .broken(atId: 6, problem: "record missing before this one"))
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
