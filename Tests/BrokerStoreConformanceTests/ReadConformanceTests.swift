import StoreModel
import Testing

/// The reads: deadline windows, overdue, the audit chain, and what a restart restores.
@Suite struct ReadConformanceTests {
    @Test(arguments: Backend.allCases)
    func theDueWindowIsOrderedByDueTimeThenIdAndBounded(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            #expect(try session.store.nextDueAt() == nil)
            let dues: [Int64] = [300, 100, 200, 100, 400]
            let ids = try session.store.run(dues.map { .setDeadline(deadline("followup:1", due: $0)) }).compactMap(
                \.deadlineId)
            #expect(ids.count == 5)
            let window = try session.store.dueDeadlines(before: 301, limit: 10)
            #expect(window.map(\.id) == [ids[1], ids[3], ids[2], ids[0]])
            #expect(try session.store.dueDeadlines(before: 301, limit: 2).map(\.id) == [ids[1], ids[3]])
            #expect(try session.store.dueDeadlines(before: .max, limit: 10).count == 5)
            #expect(try session.store.dueDeadlines(before: 100, limit: 10).isEmpty)
            #expect(try session.store.dueDeadlines(before: .max, limit: 0).isEmpty)
            #expect(try session.store.nextDueAt() == 100)
            #expect(try session.store.openDeadlineCount() == 5)
            // Closed deadlines leave the window.
            _ = try session.run(.closeDeadlines(.inCase("c1", item: "followup:1", state: .met), at: 1))
            #expect(try session.store.dueDeadlines(before: .max, limit: 10).isEmpty)
            #expect(try session.store.nextDueAt() == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func overdueFiltersByRegionPrefixAgencyAndRiskAndIncludesLaterLevels(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let ids = try session.store.run([
                .setDeadline(deadline("a", caseId: "c1", due: 100, region: "350102", agency: "health", risk: "urgent")),
                .setDeadline(
                    deadline("b", caseId: "c2", due: 200, region: "350103", agency: "police", risk: "routine")),
                .setDeadline(deadline("c", caseId: "c3", due: 5_000, level: 1, region: "350102", agency: "health")),
                .setDeadline(deadline("d", caseId: "c4", due: 5_000, region: "350102", agency: "health")),
                .setDeadline(deadline("e", caseId: "c5", due: 150)),
            ]).compactMap(\.deadlineId)
            func overdue(
                _ region: String? = nil, _ agency: String? = nil, _ risk: String? = nil, escalated: Bool = false,
                limit: Int = 100
            ) throws -> [Int64] {
                try session.store.overdue(
                    now: 1_000, regionPrefix: region, agency: agency, risk: risk, escalatedOnly: escalated, limit: limit
                ).map(\.id)
            }
            // Due by now, or of a later level; not a level-0 deadline due later.
            #expect(try overdue() == [ids[0], ids[4], ids[1], ids[2]])
            #expect(try overdue("3501") == [ids[0], ids[1], ids[2]])
            #expect(try overdue("350102") == [ids[0], ids[2]])
            #expect(try overdue("", "police") == [ids[1]])
            #expect(try overdue(nil, nil, "urgent") == [ids[0]])
            #expect(try overdue(limit: 2) == [ids[0], ids[4]])
            // Only the later levels.
            #expect(try overdue(escalated: true) == [ids[2]])
            #expect(try overdue("350103", escalated: true).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func theAuditChainFollowsTheDocumentedEncodingAndVerifies(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            #expect(try session.store.verifyAudit() == .intact(records: 0, lastHash: String(repeating: "0", count: 64)))
            _ = try session.run(
                .audit(
                    AuditEvent(
                        at: 1_700_000_000_000, event: .accepted, node: "school-1", messageId: "m-1", seq: 7,
                        kind: "referral")))
            // The example of docs/AUDIT.md (SHA-256 over 32 zero octets and the canonical bytes).
            let first = "9282c9a3685b6b56d043c378ac71f7f0c8ad89b6f9cb1cdfc88111c1218a3803"
            #expect(try session.store.exportAudit(since: .min, limit: nil).map(\.hash) == [first])
            _ = try session.store.run(
                (1...5).map { .audit(AuditEvent(at: 1_700_000_000_000 + Int64($0), event: .nacked)) })
            let rows = try session.store.exportAudit(since: .min, limit: nil)
            #expect(rows.map(\.id) == Array(1...6))
            #expect(try session.store.verifyAudit() == .intact(records: 6, lastHash: rows[5].hash))
            #expect(try session.store.exportAudit(since: 1_700_000_000_003, limit: 2).map(\.id) == [4, 5])
            #expect(try session.store.exportAudit(since: 1_800_000_000_000, limit: nil).isEmpty)
            // A failed batch appends nothing and the chain goes on.
            #expect(throws: (any Error).self) {
                try session.store.run([
                    .audit(AuditEvent(at: 3_000, event: .rejected)),
                    .accept(AcceptUnit(message: message("bad", priority: 9))),
                ])
            }
            try session.reopen()
            #expect(session.store.auditTailProblem == nil)  // an intact tail, checked at open
            _ = try session.run(.audit(AuditEvent(at: 4_000, event: .directoryReloaded)))
            let after = try session.store.exportAudit(since: .min, limit: nil)
            #expect(after.map(\.id) == Array(1...7) && after[5] == rows[5])
            #expect(try session.store.verifyAudit() == .intact(records: 7, lastHash: after[6].hash))
        }
    }

    @Test(arguments: Backend.allCases)
    func reopeningRestoresOpenDeliveriesHeldCasesAndUnconfirmedReceipts(backend: Backend) throws {
        try backend.withStore { (session: inout Session) throws in
            let epoch = session.store.epoch
            #expect(epoch.count == 16)
            let first = try #require(
                try session.store(message("m1", to: ["node-b", "node-c"], caseId: "c1", priority: 2)))
            let second = try #require(try session.store(message("m2", to: ["node-b"], caseId: "c1")))
            let settle = delivered(first, "node-c", caseId: "c1")
            #expect(try session.run(settle) == .settled)
            let receipt = try #require(settle.receipt)
            _ = try session.run(deadLettered(second, "node-b", hold: true, caseId: "c1"))
            _ = try session.run(.setDeadline(deadline("delivery:\(first):node-b", armedBy: first)))
            let transactions = session.store.statistics.transactions
            #expect(transactions >= 5)
            try session.reopen()
            #expect(session.store.epoch == epoch)
            let open = try session.store.loadOpenDeliveries()
            #expect(
                open == [
                    OpenDelivery(
                        seq: first, recipient: "node-b", sender: "node-a", messageId: "m1", caseId: "c1", priority: 2,
                        attempts: 0, acceptedAt: 1_000)
                ])
            #expect(try session.store.loadHeldCases().map(\.seq) == [second])
            #expect(try session.store.loadUnconfirmedReceipts().map(\.id) == [receipt.id, receipt.id + 1])
            #expect(try session.store.deadLetterCounts() == ["node-b": 1])
            #expect(try session.store.openDeadlineCount() == 1)
            // Dedupe survives the restart, and seqs keep growing.
            #expect(
                try session.run(.accept(AcceptUnit(message: message("m2", to: ["node-b"], caseId: "c1"))))
                    == .accepted(.duplicate(seq: second, recipients: 1)))
            #expect(try session.store(message("m3"))! > second)
        }
    }
}
