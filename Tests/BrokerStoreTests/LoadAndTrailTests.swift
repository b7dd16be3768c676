import BrokerStore
import Foundation
import Testing

@Suite struct LoadAndTrailTests {
    @Test func loadMessagesReturnsBodiesIntact() throws {
        try withStore { store, _ in
            let binary = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }  // includes 0x00 bytes
            let messages = [
                message("bin", to: ["nodeB", "nodeC"], caseId: "case-9", priority: 2, at: 42, body: binary),
                message("empty", body: []),
                message("text", body: Array("héllo, wörld".utf8), kind: "notice"),
            ]
            let seqs = try store.run(messages.map { .accept(AcceptUnit(message: $0)) }).compactMap(\.storedSeq)
            #expect(seqs.count == 3)

            let loaded = try store.loadMessages(seqs: seqs + [seqs[0], 123_456])
            #expect(loaded.count == 3)
            let bySeq = Dictionary(uniqueKeysWithValues: loaded.map { ($0.seq, $0) })
            for (seq, original) in zip(seqs, messages) {
                let stored = try #require(bySeq[seq])
                #expect(
                    stored
                        == StoredMessage(
                            seq: seq, sender: original.sender, messageId: original.messageId, kind: original.kind,
                            caseId: original.caseId, priority: original.priority, recipients: original.recipients,
                            acceptedAt: original.acceptedAt, body: original.body))
            }
            #expect(bySeq[seqs[1]]?.body == [])
            #expect(try store.loadMessages(seqs: []).isEmpty)

            // The empty body's digest still dedupes.
            #expect(
                try store.run([.accept(AcceptUnit(message: messages[1]))]) == [
                    .accepted(.duplicate(seq: seqs[1], recipients: 1))
                ])
        }
    }

    @Test func trailOfAMessageAndOfACase() throws {
        try withStore { store, _ in
            let accepted = try store.run([
                .accept(
                    AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"], caseId: "case-1", priority: 1, at: 100))),
                .accept(AcceptUnit(message: message("m2", from: "nodeX", to: ["nodeB"], caseId: "case-1", at: 250))),
                .accept(AcceptUnit(message: message("m3", to: ["nodeB"], caseId: "case-2", at: 260))),
            ])
            let seq1 = try #require(accepted[0].storedSeq)
            let seq2 = try #require(accepted[1].storedSeq)
            let done = try store.runReceipts([
                .trail(
                    TrailEventRecord(at: 150, seq: seq1, recipient: "nodeB", event: .nacked, attempt: 1, detail: "busy")
                ),
                .trail(
                    TrailEventRecord(
                        at: 160, seq: seq1, recipient: "nodeB", event: .deliveryAttempt, attempt: 2, detail: nil)),
                .settle(
                    Settlement(
                        seq: seq1, recipient: "nodeB", caseId: "case-1", at: 200, attempts: 2, firstAttemptAt: 120,
                        outcome: .delivered,
                        receiptId: 1, sender: "nodeA", messageId: "m1")),
                .settle(
                    Settlement(
                        seq: seq1, recipient: "nodeC", caseId: "case-1", at: 300, attempts: 3, firstAttemptAt: 130,
                        outcome: .deadLettered(reason: "max attempts", holdCase: true), receiptId: 2, sender: "nodeA",
                        messageId: "m1")),
            ])
            let receiptB = try #require(done[2])
            let receiptC = try #require(done[3])
            _ = try store.run([.confirmReceipt(id: receiptB.id, at: 400)])

            let trail = try store.trail(sender: "nodeA", messageId: "m1")
            let expected: [TrailEntry] = [
                entry(100, .accepted, nil, nil, "kind=referral priority=urgent case=case-1 recipients=nodeB,nodeC"),
                entry(120, .deliveryAttempt, "nodeB", 1, nil),
                entry(130, .deliveryAttempt, "nodeC", 1, nil),
                entry(150, .nacked, "nodeB", 1, "busy"),
                entry(160, .deliveryAttempt, "nodeB", 2, nil),
                entry(200, .acked, "nodeB", 2, nil),
                entry(200, .receiptCreated, "nodeB", nil, "receipt=\(receiptB.id) delivered"),
                entry(300, .deadLettered, "nodeC", 3, "max attempts"),
                entry(300, .receiptCreated, "nodeC", nil, "receipt=\(receiptC.id) dead-lettered"),
                entry(400, .receiptConfirmed, "nodeB", nil, "receipt=\(receiptB.id)"),
            ].map {
                var entry = $0
                entry.seq = seq1
                return entry
            }
            #expect(trail == expected)

            let caseTrail = try store.trail(caseId: "case-1")
            #expect(caseTrail.count == expected.count + 1)
            #expect(caseTrail.map(\.at) == caseTrail.map(\.at).sorted())
            let m2 = try #require(caseTrail.first { $0.seq == seq2 })
            #expect(m2.event == .accepted)
            #expect(m2.sender == "nodeX")
            #expect(m2.messageId == "m2")
            #expect(caseTrail.filter { $0.seq == seq1 } == expected)
            #expect(caseTrail.firstIndex(of: m2) == 7)  // between the 200s and the 300s
            #expect(!caseTrail.contains { $0.messageId == "m3" })

            #expect(try store.trail(sender: "nodeA", messageId: "nope").isEmpty)
            #expect(try store.trail(caseId: "nope").isEmpty)
        }
    }

    @Test func dataSurvivesCloseAndReopen() throws {
        try withTempDirectory { dir in
            let path = dir + "/a/b/broker.sqlite"
            let store = try BrokerStore(path: path)
            let seqs = try store.run([
                .accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"], caseId: "case-1"))),
                .accept(AcceptUnit(message: message("m2", to: ["nodeB"], body: [0, 1, 2, 255]))),
            ]).compactMap(\.storedSeq)
            let receipt = try #require(
                try store.runReceipts([
                    .settle(
                        Settlement(
                            seq: seqs[0], recipient: "nodeB", caseId: "case-1", at: 50, attempts: 2, firstAttemptAt: 10,
                            outcome: .deadLettered(reason: "rejected", holdCase: true), receiptId: 3, sender: "nodeA",
                            messageId: "m1"))
                ])[0])
            let open = try store.loadOpenDeliveries()
            let held = try store.loadHeldCases()
            let trail = try store.trail(caseId: "case-1")
            try store.close()
            try store.close()  // second close is a no-op

            let reopened = try BrokerStore(path: path)
            defer { try? reopened.close() }
            #expect(reopened.statistics == StoreStatistics())
            #expect(try reopened.loadOpenDeliveries() == open)
            #expect(open.count == 2)
            #expect(try reopened.loadUnconfirmedReceipts() == [receipt])
            #expect(try reopened.loadHeldCases() == held)
            #expect(try reopened.deadLetterCounts() == ["nodeB": 1])
            #expect(try reopened.loadMessages(seqs: [seqs[1]]).first?.body == [0, 1, 2, 255])
            #expect(try reopened.trail(caseId: "case-1") == trail)

            // Dedupe survives the restart, and seqs keep growing.
            #expect(
                try reopened.run([.accept(AcceptUnit(message: message("m2", to: ["nodeB"], body: [0, 1, 2, 255])))])
                    == [.accepted(.duplicate(seq: seqs[1], recipients: 1))])
            let next = try #require(try reopened.run([.accept(AcceptUnit(message: message("m3")))])[0].storedSeq)
            #expect(next > seqs[1])
        }
    }

    @Test func writerUsesWALAndSynchronousFull() throws {
        try withStore { store, path in
            let settings = try store.settings()
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 2)
            #expect(settings.busyTimeoutMilliseconds == 5_000)
            #expect(
                settings.migrations == [
                    "v1-core", "v2-audit", "v3-cases", "v4-followup", "v5-identity", "v6-deadline-notice",
                    "v7-per-node-windows", "v8-backlog-by-batch", "v9-repair", "v10-node-overrides", "v11-retention",
                    "v12-metrics-indexes", "v13-recent-escalations",
                ])
            // The list every backend shares (the PostgreSQL baseline records these names).
            #expect(settings.migrations == StoreMigrations.names)
            #expect(store.path == path)
            _ = try store.run([.accept(AcceptUnit(message: message("m1")))])
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test func openErrorsNameThePathAndCause() throws {
        try withTempDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // Parent "directory" is a regular file.
            let blocker = dir + "/blocker"
            try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
            let badParent = blocker + "/broker.sqlite"
            let error1 = #expect(throws: BrokerStoreError.self) { try BrokerStore(path: badParent) }
            #expect(error1?.description.contains(badParent) == true)
            #expect(error1?.operation == "open")

            // Not a database.
            let garbage = dir + "/garbage.sqlite"
            try Data(repeating: 0x5a, count: 8_192).write(to: URL(fileURLWithPath: garbage))
            let error2 = #expect(throws: BrokerStoreError.self) { try BrokerStore(path: garbage) }
            #expect(error2?.description.contains(garbage) == true)
            #expect(error2?.kind == .damaged)
        }
    }
}

private func entry(_ at: Int64, _ event: TrailEventName, _ recipient: String?, _ attempt: Int?, _ detail: String?)
    -> TrailEntry
{
    TrailEntry(
        at: at, event: event, seq: 0, messageId: "m1", sender: "nodeA", recipient: recipient, attempt: attempt,
        detail: detail)
}
