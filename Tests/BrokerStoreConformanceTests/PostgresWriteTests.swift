import BrokerStorePostgres
import StoreModel
import Testing

/// The PostgreSQL store's write path (`run`, `purgeBodies`, `backup`) against SQLite's: every kind of unit run on
/// both, results equal and every table equal row by row (seqs, deadline ids, receipts, audit hashes).
@Suite(.serialized) struct PostgresWriteTests {
    static let noCheck: @Sendable (String, String) -> String? = { _, _ in nil }

    func audit(_ name: AuditEvent.Name, at: Int64 = 1_000, node: String? = "node-a", detail: String? = nil)
        -> AuditEvent
    {
        AuditEvent(at: at, event: name, node: node, detail: detail)
    }

    @Test func acceptsDuplicatesConflictsAndCaseMovesAsSQLiteDoes() throws {
        try TwinStores.with { twins in
            let opens = CaseMoveCheck(caseId: "c1") { stored in
                stored == nil
                    ? .move(
                        CaseRecord(caseId: "c1", status: "requested", referrer: "node-a", openedAt: 1), endsCase: false)
                    : .refuse(code: "ILLEGAL_TRANSITION", reason: "already open")
            }
            let ends = CaseMoveCheck(caseId: "c1") { _ in
                .move(CaseRecord(caseId: "c1", status: "cancelled", updatedAt: 9), endsCase: true)
            }
            let results = try twins.run([
                .accept(
                    AcceptUnit(
                        message: message("m1", to: ["node-b", "node-c"], caseId: "c1"), caseMove: opens,
                        deadlines: [
                            deadline("answer:node-b:referral.received", armedBy: nil),
                            NewDeadline(
                                caseId: "c1", item: .deliveryOfArmingMessage(to: "node-b"), dueAt: 4_000,
                                notice: notice(nil), policy: "p"),
                        ], audit: audit(.accepted))),
                .accept(AcceptUnit(message: message("m1", to: ["node-b", "node-c"]))),
                .accept(AcceptUnit(message: message("m1", body: "other"))),
                .accept(AcceptUnit(message: message("m2", caseId: "c1"), caseMove: opens)),
                .accept(AcceptUnit(message: message("m3", from: "node-z", body: ""), audit: audit(.accepted))),
                .accept(AcceptUnit(message: message("m4", caseId: "c1", priority: 2), caseMove: ends)),
            ])
            #expect(results[0] == .accepted(.stored(seq: 1)))
            #expect(results[1] == .accepted(.duplicate(seq: 1, recipients: 2)))
            #expect(results[2] == .accepted(.conflict(existingSeq: 1)))
            #expect(results[3] == .caseRefused(code: "ILLEGAL_TRANSITION", reason: "already open"))
            // SQLite's AUTOINCREMENT used up a seq for each duplicate and CONFLICT: so does PostgreSQL.
            #expect(results[4] == .accepted(.stored(seq: 4)))
            // A duplicate with a case move is answered before the move is decided.
            try twins.run([.accept(AcceptUnit(message: message("m4", caseId: "c1", priority: 2), caseMove: opens))])
            // A batch that ends on used-up seqs: a reopen does not give them again.
            try twins.run([
                .accept(AcceptUnit(message: message("m5"))),
                .accept(AcceptUnit(message: message("m5"))),
                .accept(AcceptUnit(message: message("m1"))),
            ])
            try twins.reopen()
            #expect(try twins.run([.accept(AcceptUnit(message: message("m6")))]) == [.accepted(.stored(seq: 9))])
            try twins.expectSameTables()
        }
    }

    @Test func settlesConfirmsFiresAndClosesAsSQLiteDoes() throws {
        try TwinStores.with { twins in
            try twins.run([
                .accept(
                    AcceptUnit(
                        message: message("m1", to: ["node-b", "node-c", "node-d"], caseId: "c1"),
                        deadlines: [
                            NewDeadline(
                                caseId: "c1", item: .deliveryOfArmingMessage(to: "node-b"), dueAt: 4_000,
                                notice: notice(nil), policy: "p")
                        ])),
                .accept(
                    AcceptUnit(
                        message: message("alert", to: ["node-b"], priority: 2),
                        deadlines: [
                            NewDeadline(
                                caseId: nil, item: .deliveryOfArmingMessage(to: "node-b"), dueAt: 4_000,
                                notice: notice(nil), policy: "p")
                        ])),
            ])
            let results = try twins.run([
                delivered(1, caseId: "c1"),
                delivered(1, receipt: 9),
                deadLettered(1, "node-c", hold: true, caseId: "c1"),
                .settle(
                    Settlement(
                        seq: 2, recipient: "node-b", caseId: nil, at: 2_100, attempts: 2, firstAttemptAt: nil,
                        outcome: .delivered, receiptId: 3, sender: "node-a", messageId: "alert", receiptConfirmed: true,
                        audit: audit(.acked, node: "node-b"))),
                .confirmReceipt(id: 1, at: 2_500),
                .confirmReceipt(id: 1, at: 2_600),
                .confirmReceipt(id: 77, at: 2_600),
                .audit(audit(.sessionOpened, detail: "a\u{0}b")),
                .trail(
                    TrailEventRecord(
                        at: 2_700, seq: 1, recipient: "node-d", event: .nacked, attempt: 2, detail: "busy")),
                .trail(TrailEventRecord(at: 2_701, seq: 1, recipient: nil, event: .routed, attempt: nil, detail: nil)),
                .putCase(CaseRecord(caseId: "c2", status: "received", referrer: "node-a", service: "node-b")),
                .putCase(CaseRecord(caseId: "c2", status: "accepted", attempt: 2, risk: "crisis")),
                .setDeadline(deadline("answer:node-b:x", caseId: "c2", due: 3_000)),
                .setDeadline(deadline("visit:2:node-b", caseId: "c2", closers: ["node-c", "node-e"])),
                .setDeadline(deadline("visit:1:node-b", caseId: "c2")),
                .setDeadline(deadline("visit:10:node-b", caseId: "c2")),
                .setDeadline(deadline("visit:x:node-b", caseId: "c2")),
                .setDeadline(deadline("ack:all", caseId: nil)),
                .closeDeadlines(.followUpVisit(caseId: "c2", party: "node-b"), at: 3_100),
                .closeDeadlines(.followUpVisit(caseId: "c2", party: "node-b"), at: 3_101),
                .closeDeadlines(.followUpPlan(caseId: "c2", closer: "node-e"), at: 3_102),
                .closeDeadlines(.withoutCase(item: "ack:all", state: .met), at: 3_103),
                .closeDeadlines(.inCase("c2", item: "answer:node-b:x", state: .met), at: 3_104),
                .closeDeadlines(.inCase("c2", item: nil, state: .cancelled), at: 3_105),
            ])
            #expect(results[0] == .settled)
            #expect(results[1] == .notPending)
            #expect(results[12] == .deadlineSet(id: 3))
            let fire = try twins.run([
                .setDeadline(deadline("answer:node-c:y", caseId: "c1", due: 5_000)),
                .fire(
                    FireUnit(
                        deadlineId: 9, at: 5_001, next: deadline("answer:node-c:y", caseId: "c1", due: 9_000, level: 1),
                        notice: AcceptUnit(
                            message: message("notice-1", from: "broker", to: ["node-s"]), audit: audit(.accepted)),
                        audit: audit(.escalated))),
                .fire(FireUnit(deadlineId: 9, at: 5_002, next: nil)),
                .fire(FireUnit(deadlineId: 10, at: 9_001, next: nil, audit: audit(.escalated))),
            ])
            #expect(fire[1] == .fired(nextId: 10, notice: .stored(seq: 3)))
            #expect(fire[2] == .notFired)
            try twins.expectSameTables()
        }
    }

    @Test func repairsOverridesAndBacklogMovesAsSQLiteDoes() throws {
        try TwinStores.with { twins in
            try twins.run([
                .accept(AcceptUnit(message: message("m1", to: ["node-b", "node-c"], caseId: "c1"))),
                .accept(AcceptUnit(message: message("m2", to: ["node-b"], caseId: "c1"))),
                .accept(AcceptUnit(message: message("m3", to: ["node-b"]))),
                .accept(AcceptUnit(message: message("m4", to: ["node-c"]))),
                .accept(
                    AcceptUnit(
                        message: message("m5", to: ["node-c", "node-x"]),
                        deadlines: [
                            NewDeadline(
                                caseId: nil, item: .deliveryOfArmingMessage(to: "node-c"), dueAt: 4_000,
                                notice: notice(nil), policy: "p", region: "350100")
                        ])),
                .accept(
                    AcceptUnit(
                        message: message("m6", to: ["node-c"], caseId: "c3"),
                        deadlines: [
                            NewDeadline(
                                caseId: "c3", item: .deliveryOfArmingMessage(to: "node-c"), dueAt: 4_000,
                                notice: notice(nil), policy: "p", region: "350100")
                        ])),
                deadLettered(1, "node-b", hold: true, receipt: 1, caseId: "c1"),
                deadLettered(1, "node-c", receipt: 2, caseId: "c1"),
                deadLettered(3, "node-b", receipt: 3),
                .confirmReceipt(id: 3, at: 3_500),
            ])
            let repair = { (action: RepairUnit.Action) in
                StoreUnit.repair(
                    RepairUnit(
                        action: action, at: 4_000, operatorName: "ops",
                        audit: AuditEvent(at: 4_000, event: .caseReleased)))
            }
            let results = try twins.run([
                repair(.redrive(seq: 1, recipient: "node-c", to: "node-c", check: Self.noCheck)),
                repair(.redrive(seq: 1, recipient: "node-c", to: "node-b", check: Self.noCheck)),
                repair(.redrive(seq: 1, recipient: "node-c", to: "node-y", check: { _, _ in "not allowed" })),
                repair(.redrive(seq: 1, recipient: "node-c", to: "node-y", check: Self.noCheck)),
                repair(.redrive(seq: 3, recipient: "node-b", to: nil, check: Self.noCheck)),
                repair(.discard(seq: 1, recipient: "node-b")),
                repair(.discard(seq: 1, recipient: "node-b")),
                repair(.release(caseId: "c1", recipient: "node-b")),
                .nodeOverride(
                    node: "node-b",
                    NodeOverride(
                        node: "node-b", suspension: NodeOverride.Suspension(reason: "audit", by: "ops", at: 5),
                        key: NodeOverride.KeyRotation(
                            publicKey: "k2", directoryKey: "k1", previousKey: "k1", previousUntil: 99, by: "ops", at: 6)
                    ),
                    audit: AuditEvent(at: 4_001, event: .nodeSuspended, node: "node-b")),
                .nodeOverride(
                    node: "node-b",
                    NodeOverride(node: "node-b", suspension: NodeOverride.Suspension(reason: "again", by: "o", at: 7)),
                    audit: nil),
                .nodeOverride(node: "node-q", NodeOverride(node: "node-q"), audit: nil),
                .moveBacklog(
                    BacklogMove(
                        from: "node-c", to: "node-x", toRegion: "350200", at: 4_100,
                        audit: AuditEvent(at: 4_100, event: .backlogMoved, node: "node-c", recipient: "node-x"))),
            ])
            #expect(
                results[0]
                    == .repaired(.refused("node-c is the dead letter's own recipient: redrive it without \"to\"")))
            #expect(results[7] == .repaired(.notFound))
            guard case .moved(let moved) = results[11] else {
                Issue.record("\(results[11])")
                return
            }
            #expect(moved.seqs == [4, 6])
            try twins.run([
                .nodeOverride(node: "node-b", nil, audit: nil),
                repair(.release(caseId: "c9", recipient: "node-b")),
            ])
            try twins.expectSameTables()
        }
    }

    @Test func aFailingBatchStoresNothingAndNumberingGoesOnAfterReopen() throws {
        try TwinStores.with { twins in
            try twins.run([
                .accept(AcceptUnit(message: message("m1"), audit: audit(.accepted))),
                .setDeadline(deadline("answer:node-b:x")),
            ])
            // Priority 3 breaks the CHECK: the batch throws, nothing of it is stored, the tips stay.
            let failing: [StoreUnit] = [
                .accept(AcceptUnit(message: message("m2"), audit: audit(.accepted))),
                .setDeadline(deadline("answer:node-b:y")),
                .settle(
                    Settlement(
                        seq: 1, recipient: "node-b", caseId: "c1", at: 2_000, attempts: 1, firstAttemptAt: nil,
                        outcome: .delivered, receiptId: 40, sender: "node-a", messageId: "m1")),
                .accept(AcceptUnit(message: message("m3", priority: 3))),
            ]
            let error = #expect(throws: PostgresStoreError.self) { try twins.postgres.run(failing) }
            #expect(error?.kind == .statement)
            #expect(error?.description.contains("body of") == false)
            #expect(try twins.postgresCount("messages") == 1)
            #expect(try twins.postgresCount("audit") == 1)
            #expect(try twins.postgres.lastReceiptId() == 0)
            #expect(twins.postgres.statistics.transactions == 1)
            try twins.run([
                .accept(AcceptUnit(message: message("m2"), audit: audit(.accepted))),
                .setDeadline(deadline("answer:node-b:y")),
                delivered(1, receipt: 5),
            ])
            #expect(try twins.postgres.lastReceiptId() == 5)
            try twins.reopen()
            let after = try twins.run([
                .accept(AcceptUnit(message: message("m9"), audit: audit(.accepted))),
                .setDeadline(deadline("answer:node-b:z")),
                .audit(audit(.sessionEnded)),
            ])
            #expect(after[0] == .accepted(.stored(seq: 3)))
            #expect(after[1] == .deadlineSet(id: 3))
            #expect(try twins.postgres.lastReceiptId() == 5)
            #expect(twins.postgres.statistics.rowsWritten == twins.sqlite.statistics.rowsWritten)
            try twins.expectSameTables()
        }
    }

    @Test func aFencedBatchStoresNothing() throws {
        try TwinStores.with { twins in
            twins.postgres.leaseEpoch = 42
            let error = #expect(throws: PostgresStoreError.self) {
                try twins.postgres.run([.accept(AcceptUnit(message: message("m1"), audit: audit(.accepted)))])
            }
            #expect(error?.kind == .fenced)
            #expect(try twins.postgresCount("messages") == 0)
            #expect(try twins.postgresCount("audit") == 0)
            twins.postgres.leaseEpoch = nil
            #expect(
                try twins.run([.accept(AcceptUnit(message: message("m1"), audit: audit(.accepted)))])
                    == [.accepted(.stored(seq: 1))])
            try twins.expectSameTables()
        }
    }

    @Test func purgesBodiesAsSQLiteDoesAndRefusesBackup() throws {
        try TwinStores.with { twins in
            try twins.run([
                .accept(AcceptUnit(message: message("m1", at: 1_000))),
                .accept(AcceptUnit(message: message("m2", at: 1_000))),
                .accept(AcceptUnit(message: message("m3", at: 1_000, body: ""))),
                .accept(AcceptUnit(message: message("m4", at: 50_000))),
                delivered(1, at: 2_000, receipt: 1),
                deadLettered(2, at: 2_000, receipt: 2),
                delivered(3, at: 2_000, receipt: 3),
            ])
            let periods = RetentionPeriods(closedCase: 10_000, caseless: 10_000, deadLetter: 10_000)
            var step = PurgeStep(now: 20_000, periods: periods, afterSeq: 0, limit: 2, operators: ["ops"])
            let expected = try twins.sqlite.purgeBodies(step)
            var result = try twins.postgres.purgeBodies(step)
            #expect(result.pagesFreed == 0)
            var adjusted = expected
            adjusted.pagesFreed = 0
            #expect(result == adjusted)
            step.afterSeq = result.lastSeq
            step.runCounts = result.counts
            let last = try twins.sqlite.purgeBodies(step)
            result = try twins.postgres.purgeBodies(step)
            adjusted = last
            adjusted.pagesFreed = 0
            #expect(result == adjusted)
            #expect(result.finished && result.audit != nil)
            try twins.expectSameTables()
            let refused = #expect(throws: BackupRefused.self) { try twins.postgres.backup(to: "/tmp/copy.sqlite") }
            #expect(refused?.description.contains("pg_basebackup") == true)
        }
    }
}
