import BrokerStore
import Foundation
import ReferralProtocol
import Testing

@Suite struct AuditTests {
    @Test func emptyTrailIsIntact() throws {
        try withStore { store, _ throws in
            #expect(try store.verifyAudit() == .intact(records: 0, lastHash: String(repeating: "0", count: 64)))
            #expect(try store.exportAudit(since: 0, limit: nil).isEmpty)
        }
    }

    @Test func recordsAppendInTheSameBatchesAsTheirChanges() throws {
        try withStore { store, _ in
            // Batch 1: two accepts, each with its audit record, plus an unrelated one.
            let results = try store.run([
                .accept(
                    AcceptUnit(
                        message: message("m1", to: ["nodeB", "nodeC"], at: 10, kind: "referral"),
                        audit: AuditEvent(at: 10, event: .accepted, node: "nodeA", messageId: "m1", kind: "referral"))),
                .accept(
                    AcceptUnit(
                        message: message("m2", to: ["nodeB"], at: 11),
                        audit: AuditEvent(at: 11, event: .accepted, node: "nodeA", messageId: "m2", kind: "referral"))),
                .audit(AuditEvent(at: 11, event: .sessionOpened, node: "nodeB")),
            ])
            let seq1 = try #require(results[0].storedSeq)
            let seq2 = try #require(results[1].storedSeq)
            #expect(results[2] == .done)

            // Batch 2: an ack and a dead letter with theirs.
            _ = try store.run([
                .settle(
                    Settlement(
                        seq: seq1, recipient: "nodeB", caseId: nil, at: 20, attempts: 1, firstAttemptAt: 15,
                        outcome: .delivered,
                        receiptId: 1, sender: "nodeA", messageId: "m1",
                        audit: AuditEvent(at: 20, event: .acked, node: "nodeB", seq: seq1, recipient: "nodeB"))),
                .settle(
                    Settlement(
                        seq: seq2, recipient: "nodeB", caseId: nil, at: 21, attempts: 5, firstAttemptAt: 15,
                        outcome: .deadLettered(reason: "expired", holdCase: false), receiptId: 2, sender: "nodeA",
                        messageId: "m1",
                        audit: AuditEvent(at: 21, event: .deadLettered, seq: seq2, recipient: "nodeB", code: "EXPIRED"))
                ),
            ])
            // Batch 3: audit records alone.
            _ = try store.run([
                .audit(AuditEvent(at: 30, event: .nacked, node: "nodeC", seq: seq1, recipient: "nodeC")),
                .audit(AuditEvent(at: 31, event: .directoryReloaded, detail: "42 nodes")),
            ])

            let rows = try store.exportAudit(since: 0, limit: nil)
            #expect(rows.map(\.id) == [1, 2, 3, 4, 5, 6, 7])
            #expect(
                rows.map(\.entry.event) == [
                    "accepted", "accepted", "session-opened", "acked", "dead-lettered", "nacked", "directory-reloaded",
                ])
            // The accepted records got the seqs the accepts were stored under.
            #expect(rows[0].entry.seq == seq1 && rows[1].entry.seq == seq2)
            #expect(rows[4].entry.code == "EXPIRED")
            #expect(try store.verifyAudit() == .intact(records: 7, lastHash: rows[6].hash))
            // The state changed with them.
            #expect(try store.loadOpenDeliveries().map(\.recipient) == ["nodeC"])
        }
    }

    @Test func chainFollowsTheDocumentedEncoding() throws {
        try withStore { store, _ in
            _ = try store.run([
                .audit(
                    AuditEvent(
                        at: 1_700_000_000_000, event: .accepted, node: "school-1", messageId: "m-1", seq: 7,
                        kind: "referral")),
                .audit(
                    AuditEvent(
                        at: -5, event: .rejected, node: "n\"2\\", peer: "10.0.0.1:4000",
                        keyFingerprint: "0123456789abcdef",
                        messageId: "m/2", seq: 0, recipient: "role:health/psychiatric-clinic@350102", kind: "k",
                        code: "FORBIDDEN", detail: "tab\there\nline é\u{1}")),
            ])
            let canonical1 =
                #"{"id":1,"at":1700000000000,"event":"accepted","node":"school-1","peer":null,"keyFingerprint":null,"#
                + #""messageId":"m-1","seq":7,"recipient":null,"kind":"referral","code":null,"detail":null}"#
            let canonical2 =
                #"{"id":2,"at":-5,"event":"rejected","node":"n\"2\\","peer":"10.0.0.1:4000","#
                + #""keyFingerprint":"0123456789abcdef","messageId":"m/2","seq":0,"#
                + #""recipient":"role:health/psychiatric-clinic@350102","kind":"k","code":"FORBIDDEN","#
                + #""detail":"tab\there\nline é\u0001"}"#
            let hash1 = SHA256.hash([UInt8](repeating: 0, count: 32) + Array(canonical1.utf8))
            let hash2 = SHA256.hash(hash1 + Array(canonical2.utf8))
            // The example of docs/AUDIT.md, computed independently (Python's hashlib).
            #expect(hex(hash1) == "9282c9a3685b6b56d043c378ac71f7f0c8ad89b6f9cb1cdfc88111c1218a3803")

            let rows = try store.exportAudit(since: .min, limit: nil)
            #expect(rows.map(\.hash) == [hex(hash1), hex(hash2)])
            #expect(try store.verifyAudit() == .intact(records: 2, lastHash: hex(hash2)))
            // The JSON line is the canonical object plus the hash.
            #expect(BrokerStore.jsonLine(rows[0]) == String(canonical1.dropLast()) + #","hash":"\#(hex(hash1))"}"#)
        }
    }

    @Test func chainContinuesAfterReopen() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            do {
                let store = try BrokerStore(path: path)
                try appendAudits(store, count: 10, batch: 3)
                try store.close()
            }
            let reopened = try BrokerStore(path: path)
            defer { try? reopened.close() }
            guard case .intact(10, let hashAt10) = try reopened.verifyAudit() else {
                Issue.record("not intact after reopen")
                return
            }
            try appendAudits(reopened, count: 5, from: 11, batch: 2)
            let rows = try reopened.exportAudit(since: 0, limit: nil)
            #expect(rows.map(\.id) == Array(1...15))
            #expect(rows[9].hash == hashAt10)
            #expect(try reopened.verifyAudit() == .intact(records: 15, lastHash: rows[14].hash))
        }
    }

    @Test func failedBatchAppendsNothingAndTheChainGoesOn() throws {
        try withStore { store, _ in
            try appendAudits(store, count: 3)
            let before = try store.verifyAudit()
            // priority 9 violates a CHECK: the whole batch, audit records included, is rolled back.
            #expect(throws: BrokerStoreError.self) {
                try store.run([
                    .audit(auditEvent(4)), .accept(AcceptUnit(message: message("bad", priority: 9))),
                    .audit(auditEvent(5)),
                ])
            }
            #expect(try store.verifyAudit() == before)
            try appendAudits(store, count: 2, from: 4)
            #expect(try store.exportAudit(since: 0, limit: nil).map(\.id) == [1, 2, 3, 4, 5])
            guard case .intact(5, _) = try store.verifyAudit() else {
                Issue.record("chain broken after a rolled-back batch")
                return
            }
        }
    }

    // MARK: - Ties between records and changes

    @Test func acceptedIsRecordedOnlyWhenTheMessageIsStored() throws {
        try withStore { store, _ in
            let original = message("m1", body: Array("first".utf8))
            func accept(_ message: NewMessage, _ at: Int64) -> StoreUnit {
                .accept(
                    AcceptUnit(
                        message: message, audit: AuditEvent(at: at, event: .accepted, node: "nodeA", messageId: "m1")))
            }
            _ = try store.run([accept(original, 1), accept(original, 2)])  // the second is a duplicate
            _ = try store.run([accept(original, 3)])  // duplicate resend
            _ = try store.run([accept(message("m1", body: Array("other".utf8)), 4)])  // conflict
            // A record of its own is written as given.
            _ = try store.run([.audit(AuditEvent(at: 8, event: .accepted, node: "nodeZ", messageId: "zz"))])

            let rows = try store.exportAudit(since: 0, limit: nil)
            #expect(rows.map(\.entry.at) == [1, 8])
            #expect(rows[0].entry.seq != nil && rows[1].entry.seq == nil)
            #expect(rows.map(\.id) == [1, 2])
        }
    }

    @Test func ackedAndDeadLetteredAreRecordedOnlyWhenTheDeliveryCloses() throws {
        try withStore { store, _ in
            let seq = try #require(
                try store.run([.accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"])))])[0].storedSeq)
            func settle(_ recipient: String, at: Int64, dead: Bool) -> StoreUnit {
                .settle(
                    Settlement(
                        seq: seq, recipient: recipient, caseId: nil, at: at, attempts: 1, firstAttemptAt: 1,
                        outcome: dead ? .deadLettered(reason: "x", holdCase: false) : .delivered, receiptId: at,
                        sender: "nodeA", messageId: "m1",
                        audit: AuditEvent(at: at, event: dead ? .deadLettered : .acked, seq: seq, recipient: recipient))
                )
            }
            _ = try store.run([settle("nodeB", at: 2, dead: false), settle("nodeB", at: 3, dead: false)])
            _ = try store.run([
                settle("nodeB", at: 4, dead: false), settle("nobody", at: 5, dead: true),
                settle("nodeC", at: 6, dead: true),
            ])
            let rows = try store.exportAudit(since: 0, limit: nil)
            #expect(rows.map(\.entry.event) == ["acked", "dead-lettered"])
            #expect(rows.map(\.entry.recipient) == ["nodeB", "nodeC"])
        }
    }

    // MARK: - Export

    @Test func exportSinceReturnsTheRightRecordsAsJSONLines() throws {
        try withStore { store, _ in
            try appendAudits(store, count: 20, batch: 6)  // at = 1_001 ... 1_020
            _ = try store.run([
                .audit(
                    AuditEvent(
                        at: 2_000, event: .escalated, node: "county-bureau", messageId: "m-9", seq: 9,
                        recipient: "role:civil-affairs/county-bureau@350102", kind: "crisis-alert",
                        code: "NO_ACK", detail: "quote \" backslash \\ newline \n 中文"))
            ])

            let since = try store.exportAudit(since: 1_015, limit: nil)
            #expect(since.map(\.id) == Array(15...21))
            #expect(since.map(\.entry.at) == Array(1_015...1_020) + [2_000])
            #expect(try store.exportAudit(since: 1_015, limit: 3).map(\.id) == [15, 16, 17])
            #expect(try store.exportAudit(since: 1_015, limit: 0).isEmpty)
            #expect(try store.exportAudit(since: 3_000, limit: nil).isEmpty)

            // Every line parses, has the 13 members in the documented order, and round-trips the fields.
            let all = try store.exportAudit(since: 0, limit: nil)
            var previous = [UInt8](repeating: 0, count: 32)
            for row in all {
                let line = BrokerStore.jsonLine(row)
                #expect(!line.contains("\n"))
                let value = try JSONReader.parse(Array(line.utf8), maxDepth: 2)
                guard case .object(let members) = value else {
                    Issue.record("not an object: \(line)")
                    continue
                }
                #expect(
                    members.map(\.key) == [
                        "id", "at", "event", "node", "peer", "keyFingerprint", "messageId", "seq", "recipient", "kind",
                        "code", "detail", "hash",
                    ])
                #expect(value["id"]?.integerValue == row.id)
                #expect(value["at"]?.integerValue == row.entry.at)
                #expect(value["event"]?.stringValue == row.entry.event)
                #expect(value["detail"]?.stringValue == row.entry.detail)
                #expect(value["hash"]?.stringValue == row.hash)
                // A receiver can check the chain from the lines alone.
                let withoutHash = String(line.dropLast(#","hash":""}"#.count + 64)) + "}"
                previous = SHA256.hash(previous + Array(withoutHash.utf8))
                #expect(hex(previous) == row.hash)
            }
            let last = try #require(all.last)
            #expect(last.entry.detail == "quote \" backslash \\ newline \n 中文")
            #expect(last.entry.recipient == "role:civil-affairs/county-bureau@350102")
            #expect(try store.verifyAudit() == .intact(records: 21, lastHash: last.hash))
        }
    }

    @Test func exportByTimeCopesWithAClockThatStepsBack() throws {
        try withStore { store, _ in
            _ = try store.run([1_000, 2_000, 1_500, 3_000].map { .audit(AuditEvent(at: $0, event: .nacked)) })
            #expect(try store.exportAudit(since: 1_600, limit: nil).map(\.id) == [2, 4])
            #expect(try store.exportAudit(since: 1_400, limit: nil).map(\.id) == [2, 3, 4])
            #expect(try store.exportAudit(since: 1_400, limit: 2).map(\.id) == [2, 3])
            guard case .intact(4, _) = try store.verifyAudit() else {
                Issue.record("a clock stepping back must not break the chain")
                return
            }
        }
    }

    // MARK: - Privacy and hygiene

    @Test func bodiesNeverReachTheAuditTrail() throws {
        try withStore { store, path in
            let secret = Array("CHILD-NAME Zhang Xiaoming; diagnosis: severe depression; 0591-12345678".utf8)
            var ops: [StoreUnit] = []
            for k in 0..<5 {
                let body = secret + Array(" #\(k)".utf8)
                ops.append(
                    .accept(
                        AcceptUnit(
                            message: message("m\(k)", to: ["nodeB"], body: body),
                            audit: AuditEvent(
                                at: 1, event: .accepted, node: "nodeA", messageId: "m\(k)", kind: "referral"))))
            }
            let results = try store.run(ops)
            let seq = try #require(results[0].storedSeq)
            _ = try store.run([
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: nil, at: 2, attempts: 1, firstAttemptAt: 1,
                        outcome: .delivered,
                        receiptId: 4, sender: "nodeA", messageId: "m1",
                        audit: AuditEvent(at: 2, event: .acked, node: "nodeB", seq: seq, recipient: "nodeB")))
            ])
            try store.close()

            let auditBytes = try auditTableBytes(path)
            #expect(!auditBytes.isEmpty)
            let needle = Array("Zhang Xiaoming".utf8)
            #expect(!auditBytes.contains(subsequence: needle))
            #expect(!auditBytes.contains(subsequence: Array(secret.prefix(10))))
            // The scan does find the body where it is stored (so it would have found it in the audit table).
            let file =
                try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                + ((try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path + "-wal")))) ?? [])
            #expect(file.contains(subsequence: needle))

            let reopened = try BrokerStore(path: path)
            defer { try? reopened.close() }
            let lines = try reopened.exportAudit(since: 0, limit: nil).map(BrokerStore.jsonLine)
            #expect(lines.count == 6)
            #expect(lines.allSatisfy { !$0.contains("Zhang") && !$0.contains("diagnosis") })
        }
    }

    @Test func nulInATextIsStoredAsReplacementCharacterAndVerifies() throws {
        try withStore { store, _ in
            _ = try store.run([.audit(AuditEvent(at: 1, event: .rejected, detail: "a\u{0}b"))])
            #expect(try store.exportAudit(since: 0, limit: nil).first?.entry.detail == "a\u{FFFD}b")
            guard case .intact(1, _) = try store.verifyAudit() else {
                Issue.record("a record with a NUL does not verify")
                return
            }
        }
    }

    @Test func keyFingerprintIsFirst16HexOfSHA256() {
        let key = [UInt8](0..<32)
        let fingerprint = AuditEvent.keyFingerprint(of: key)
        #expect(fingerprint.count == 16)
        #expect(fingerprint == String(SHA256.hex(SHA256.hash(key)).prefix(16)))
    }
}
