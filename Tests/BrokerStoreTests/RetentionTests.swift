import Foundation
import GRDB
import Testing

@testable import BrokerStore

/// Purging bodies (retention): which bodies go and which stay, what stays of a purged message, the audit chain, and
/// the pages given back to the file system.
@Suite struct RetentionTests {
    let periods = RetentionPeriods(closedCase: 1_000, caseless: 500, deadLetter: 2_000)
    let now: Int64 = 5_000

    /// Settles `seq`'s delivery to `recipient` at `at` (delivered, or dead-lettered).
    func settle(_ seq: Int64, _ recipient: String, at: Int64, dead: Bool = false, receipt: Int64) -> StoreUnit {
        .settle(
            Settlement(
                seq: seq, recipient: recipient, caseId: nil, at: at, attempts: 1, firstAttemptAt: at - 1,
                outcome: dead ? .deadLettered(reason: "made-up reason", holdCase: false) : .delivered,
                receiptId: receipt, sender: "nodeA", messageId: "m\(seq)"))
    }

    /// One message per rule and per reason to keep it; returns seq by name.
    func seed(_ store: BrokerStore) throws -> [String: Int64] {
        let cases: [StoreUnit] = [
            .putCase(CaseRecord(caseId: "c-closed", status: "completed", openedAt: 900, updatedAt: 3_000)),
            .putCase(CaseRecord(caseId: "c-open", status: "accepted", openedAt: 900, updatedAt: 1_500)),
            .putCase(CaseRecord(caseId: "c-young", status: "cancelled", openedAt: 900, updatedAt: 4_500)),
            .putCase(CaseRecord(caseId: "c-rejected", status: "rejected", openedAt: 900, updatedAt: 1_500)),
        ]
        let messages: [(String, String?, [String], Int64)] = [
            ("closed", "c-closed", ["nodeB"], 1_000), ("open-case", "c-open", ["nodeB"], 1_001),
            ("young-case", "c-young", ["nodeB"], 1_002), ("rejected-case", "c-rejected", ["nodeB"], 1_003),
            ("caseless", nil, ["nodeB"], 1_004), ("untracked-case", "c-none", ["nodeB"], 1_005),
            ("pending", nil, ["nodeB", "nodeC"], 1_006), ("dead", "c-closed", ["nodeB"], 1_007),
            ("dead-young", nil, ["nodeB"], 1_008), ("young", nil, ["nodeB"], 4_800),
        ]
        var seqs: [String: Int64] = [:]
        let results = try store.run(
            cases
                + messages.map { name, caseId, to, at in
                    .accept(AcceptUnit(message: message(name, to: to, caseId: caseId, at: at, body: body(name))))
                })
        for ((name, _, _, _), result) in zip(messages, results.dropFirst(cases.count)) {
            seqs[name] = try #require(result.storedSeq)
        }
        var receipt: Int64 = 0
        var units: [StoreUnit] = []
        for name in ["closed", "open-case", "young-case", "rejected-case", "caseless", "untracked-case", "pending"] {
            receipt += 1
            units.append(settle(seqs[name]!, "nodeB", at: 2_000, receipt: receipt))
        }
        units.append(settle(seqs["dead"]!, "nodeB", at: 2_000, dead: true, receipt: 20))
        units.append(settle(seqs["dead-young"]!, "nodeB", at: 3_500, dead: true, receipt: 21))
        units.append(settle(seqs["young"]!, "nodeB", at: 4_900, receipt: 22))
        units.append(.audit(AuditEvent(at: 4_950, event: .acked, node: "nodeB")))
        _ = try store.run(units)
        return seqs
    }

    func body(_ name: String) -> [UInt8] { Array("made-up body of \(name)".utf8) }

    /// Runs steps of `limit` until the walk is finished; the summed counts and every purged seq.
    func purgeAll(_ store: BrokerStore, limit: Int) throws -> (PurgeCounts, [Int64], steps: Int) {
        var counts = PurgeCounts()
        var purged: [Int64] = []
        var after: Int64 = 0
        for steps in 1...100 {
            let result = try store.purgeBodies(
                PurgeStep(now: now, periods: periods, afterSeq: after, limit: limit, runCounts: counts))
            counts = counts + result.counts
            purged += result.purgedSeqs
            after = result.lastSeq
            if result.finished { return (counts, purged, steps) }
        }
        Issue.record("the walk never finished")
        return (counts, purged, 100)
    }

    @Test func onlyBodiesTheRulesAllowGoAndTheirCountsAreByRule() throws {
        try withStore { store, _ in
            let seqs = try seed(store)
            let (counts, purged, steps) = try purgeAll(store, limit: 3)
            #expect(counts == PurgeCounts(closedCase: 1, caseless: 2, deadLetters: 1))
            #expect(Set(purged) == Set(["closed", "caseless", "untracked-case", "dead"].map { seqs[$0]! }))
            #expect(steps > 1)
            // What stays is delivered from the store as it was; purged messages are never loaded.
            let loaded = try store.loadMessages(seqs: Array(seqs.values))
            let kept = Dictionary(uniqueKeysWithValues: loaded.map { ($0.seq, $0.body) })
            for name in ["open-case", "young-case", "rejected-case", "pending", "dead-young", "young"] {
                #expect(kept[seqs[name]!] == body(name), "\(name) kept")
            }
            #expect(kept.count == 6)
            // A second run finds nothing more.
            #expect(try purgeAll(store, limit: 3).0 == PurgeCounts())
        }
    }

    @Test func aPurgedMessageKeepsItsHeadersDigestSizeTrailAndTheAuditChain() throws {
        try withStore { store, path in
            let seqs = try seed(store)
            let trailBefore = try store.trail(sender: "nodeA", messageId: "closed")
            guard case .intact(let records, let lastHash) = try store.verifyAudit() else {
                Issue.record("chain broken before the purge")
                return
            }
            _ = try purgeAll(store, limit: 500)
            let trail = try store.trail(sender: "nodeA", messageId: "closed")
            #expect(Array(trail.dropLast()) == trailBefore)
            #expect(trail.last?.event == .bodyPurged)
            #expect(trail.last?.at == now)
            #expect(trail.last?.detail == "bytes=\(body("closed").count)")
            // The chain goes on: one record for the run, written with its last step.
            guard case .intact(let after, _) = try store.verifyAudit() else {
                Issue.record("chain broken after the purge")
                return
            }
            #expect(after == records + 1)
            let newest = try store.exportAudit(since: 0, limit: nil).last
            #expect(newest?.entry.event == "bodies-purged")
            #expect(newest?.entry.detail == "closed_case=1 caseless=2 dead_letters=1")
            _ = lastHash
            try store.close()

            let db = try DatabaseQueue(path: path)
            defer { try? db.close() }
            let row = try #require(
                try db.read {
                    try Row.fetchOne(
                        $0,
                        sql:
                            "SELECT kind, case_id, digest, body, body_size, body_purged_at FROM messages WHERE seq = ?",
                        arguments: [seqs["closed"]!])
                })
            #expect(row["kind"] as String == "referral")
            #expect(row["case_id"] as String == "c-closed")
            #expect([UInt8](row["digest"] as Data) == digest(body("closed")))
            #expect((row["body"] as DatabaseValue).isNull)
            #expect(row["body_size"] as Int == body("closed").count)
            #expect(row["body_purged_at"] as Int64 == now)
            // Every other row of the message stays: deliveries and receipts.
            #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM deliveries") } == 11)
            #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM receipts") } == 10)
        }
    }

    @Test func keepingEveryClassForeverPurgesNothing() throws {
        try withStore { store, _ in
            _ = try seed(store)
            let result = try store.purgeBodies(PurgeStep(now: 1 << 50, periods: .forever, afterSeq: 0, limit: 500))
            #expect(result.counts == PurgeCounts() && result.finished)
        }
    }

    @Test func aNewStoreIsIncrementalAndAPurgeGivesItsPagesBack() throws {
        try withStore { store, path in
            let big = [UInt8](repeating: 0x5a, count: 64 * 1024)
            let units: [StoreUnit] = (0..<40).map {
                .accept(AcceptUnit(message: message("big\($0)", at: 1_000, body: big)))
            }
            let seqs = try store.run(units).compactMap(\.storedSeq)
            _ = try store.run(seqs.enumerated().map { settle($1, "nodeB", at: 2_000, receipt: Int64($0 + 1)) })
            let result = try store.purgeBodies(PurgeStep(now: now, periods: periods, afterSeq: 0, limit: 500))
            #expect(result.counts.caseless == 40)
            // 40 bodies of 64 KiB: about 640 overflow pages of 4 KiB went back to the file system.
            #expect(result.pagesFreed >= 600)
            try store.close()
            let db = try DatabaseQueue(path: path)
            defer { try? db.close() }
            #expect(try db.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") } == 2)
            #expect(try db.read { try Int.fetchOne($0, sql: "PRAGMA freelist_count") } == 0)
            let pages = try #require(try db.read { try Int.fetchOne($0, sql: "PRAGMA page_count") })
            #expect(pages < 200)
        }
    }

    /// A store made before v11 keeps auto_vacuum NONE (only a VACUUM changes it); its backup is INCREMENTAL, so
    /// restoring the copy converts it (deploy/README.md, "Retention").
    @Test func aBackupOfAnOlderStoreIsIncremental() throws {
        try withTempDirectory { dir in
            let path = try olderStore(in: dir + "/old", upTo: "v8-backlog-by-batch", rows: "SELECT 1;")
            let store = try BrokerStore.acceptRollback(path: path)
            defer { try? store.close() }
            let copy = dir + "/copy.sqlite"
            _ = try store.backup(to: copy)
            func autoVacuum(_ file: String) throws -> Int? {
                let db = try DatabaseQueue(path: file)
                defer { try? db.close() }
                return try db.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") }
            }
            try store.close()
            #expect(try autoVacuum(path) == 0)
            #expect(try autoVacuum(copy) == 2)
        }
    }

    @Test func aStoreOfAnOlderVersionGetsTheRetentionColumnsAndKeepsItsBodies() throws {
        try withTempDirectory { dir in
            let path = try olderStore(
                in: dir, upTo: "v8-backlog-by-batch",
                rows: """
                    INSERT INTO messages (sender, message_id, digest, kind, priority, recipients, accepted_at, body)
                    VALUES ('nodeA', 'old', x'00', 'referral', 0, 'nodeB', 1000, x'0102');
                    """)
            let old = try DatabaseQueue(path: path)
            defer { try? old.close() }
            try Schema.migrator.migrate(old)
            let row = try #require(
                try old.read {
                    try Row.fetchOne($0, sql: "SELECT body, body_size, body_purged_at FROM messages WHERE seq = 1")
                })
            #expect(row["body"] as Data == Data([1, 2]))
            #expect((row["body_purged_at"] as DatabaseValue).isNull && (row["body_size"] as DatabaseValue).isNull)
            #expect(
                try old.read {
                    try String.fetchOne(
                        $0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'messages_unpurged'")
                } == "messages_unpurged")
        }
    }
}
