import BrokerStore
import Testing

@Suite struct ApplyTests {
    @Test func acceptThenLoadOpenDeliveries() throws {
        try withStore { store, _ in
            let results = try store.run([
                .accept(
                    AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"], caseId: "case-1", priority: 1, at: 10))),
                .accept(AcceptUnit(message: message("m2", to: ["nodeC"], at: 11))),
            ])
            let seq1 = try #require(results[0].storedSeq)
            let seq2 = try #require(results[1].storedSeq)
            #expect(seq2 > seq1)

            let open = try store.loadOpenDeliveries()
            #expect(
                open == [
                    OpenDelivery(
                        seq: seq1, recipient: "nodeB", sender: "nodeA", messageId: "m1", caseId: "case-1",
                        priority: 1, attempts: 0, acceptedAt: 10),
                    OpenDelivery(
                        seq: seq1, recipient: "nodeC", sender: "nodeA", messageId: "m1", caseId: "case-1",
                        priority: 1, attempts: 0, acceptedAt: 10),
                    OpenDelivery(
                        seq: seq2, recipient: "nodeC", sender: "nodeA", messageId: "m2", caseId: nil,
                        priority: 0, attempts: 0, acceptedAt: 11),
                ])
        }
    }

    @Test func duplicateAndConflictAcrossBatches() throws {
        try withStore { store, _ in
            let original = message("m1", body: Array("first".utf8))
            let seq = try #require(try store.run([.accept(AcceptUnit(message: original))])[0].storedSeq)
            let before = store.statistics

            var resent = original
            resent.acceptedAt = 99
            #expect(
                try store.run([.accept(AcceptUnit(message: resent))]) == [
                    .accepted(.duplicate(seq: seq, recipients: 1))
                ])

            let other = message("m1", body: Array("second".utf8))
            #expect(try store.run([.accept(AcceptUnit(message: other))]) == [.accepted(.conflict(existingSeq: seq))])

            // Nothing written by either: still one open delivery, original body, no rows counted.
            #expect(try store.loadOpenDeliveries().count == 1)
            #expect(try store.loadMessages(seqs: [seq]).map(\.body) == [Array("first".utf8)])
            #expect(store.statistics.rowsWritten == before.rowsWritten)

            // Same message id from another sender is another message.
            let fromC = message("m1", from: "nodeC")
            #expect(try store.run([.accept(AcceptUnit(message: fromC))])[0].storedSeq != nil)
        }
    }

    @Test func duplicateAndConflictInsideOneBatch() throws {
        try withStore { store, _ in
            let original = message("m1", to: ["nodeB", "nodeC"], body: Array("first".utf8))
            let results = try store.run([
                .accept(AcceptUnit(message: original)),
                .accept(AcceptUnit(message: original)),
                .accept(AcceptUnit(message: message("m1", body: Array("other".utf8)))),
                .accept(AcceptUnit(message: message("m2"))),
                .accept(AcceptUnit(message: message("m2"))),
            ])
            let seq1 = try #require(results[0].storedSeq)
            let seq2 = try #require(results[3].storedSeq)
            #expect(results[1] == .accepted(.duplicate(seq: seq1, recipients: 2)))
            #expect(results[2] == .accepted(.conflict(existingSeq: seq1)))
            #expect(results[4] == .accepted(.duplicate(seq: seq2, recipients: 1)))
            #expect(try store.loadOpenDeliveries().map(\.seq) == [seq1, seq1, seq2])
        }
    }

    @Test func deliveredCreatesReceiptAndClosesDelivery() throws {
        try withStore { store, _ in
            let seq = try #require(
                try store.run([.accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"])))])[0].storedSeq)
            let results = try store.runReceipts([
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: nil, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: 1, sender: "nodeA", messageId: "m1"
                    )),
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: nil, at: 2_001, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: 2, sender: "nodeA", messageId: "m1"
                    )),
                .settle(
                    Settlement(
                        seq: seq, recipient: "nobody", caseId: nil, at: 2_002, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: 3, sender: "nodeA", messageId: "m1")),
                .settle(
                    Settlement(
                        seq: seq + 100, recipient: "nodeB", caseId: nil, at: 2_003, attempts: 1, firstAttemptAt: 1_500,
                        outcome: .delivered, receiptId: 4, sender: "nodeA", messageId: "m1")),
            ])
            let receipt = try #require(results[0])
            #expect(
                receipt
                    == ReceiptRecord(
                        id: receipt.id, sender: "nodeA", seq: seq, messageId: "m1", recipient: "nodeB", outcome: 0,
                        at: 2_000, reason: nil))
            #expect(Array(results[1...]) == [nil, nil, nil])  // already acked, unknown, unknown

            #expect(try store.loadOpenDeliveries().map(\.recipient) == ["nodeC"])
            #expect(try store.loadUnconfirmedReceipts() == [receipt])
            #expect(try store.deadLetterCounts() == [:])
        }
    }

    @Test func deadLetteredWithHoldCaseHoldsTheCase() throws {
        try withStore { store, _ in
            let results = try store.run([
                .accept(AcceptUnit(message: message("m1", to: ["nodeB"], caseId: "case-7"))),
                .accept(AcceptUnit(message: message("m2", to: ["nodeB"], caseId: "case-7"))),
                .accept(AcceptUnit(message: message("m3", to: ["nodeB"]))),
            ])
            let seqs = results.compactMap(\.storedSeq)
            #expect(seqs.count == 3)

            let dead = try store.runReceipts([
                .settle(
                    Settlement(
                        seq: seqs[0], recipient: "nodeB", caseId: "case-7", at: 5_000, attempts: 5,
                        firstAttemptAt: 1_100,
                        outcome: .deadLettered(reason: "max attempts", holdCase: true), receiptId: 6, sender: "nodeA",
                        messageId: "m1")),
                // A second dead letter in the same case keeps the first hold.
                .settle(
                    Settlement(
                        seq: seqs[1], recipient: "nodeB", caseId: "case-7", at: 5_001, attempts: 1, firstAttemptAt: nil,
                        outcome: .deadLettered(reason: "permanent: bad schema", holdCase: true), receiptId: 7,
                        sender: "nodeA", messageId: "m1")),
                // No case id: nothing to hold.
                .settle(
                    Settlement(
                        seq: seqs[2], recipient: "nodeB", caseId: nil, at: 5_002, attempts: 1, firstAttemptAt: 1_200,
                        outcome: .deadLettered(reason: "permanent", holdCase: true), receiptId: 8, sender: "nodeA",
                        messageId: "m1")),
                // Not pending any more.
                .settle(
                    Settlement(
                        seq: seqs[0], recipient: "nodeB", caseId: "case-7", at: 5_003, attempts: 6,
                        firstAttemptAt: 1_100,
                        outcome: .deadLettered(reason: "again", holdCase: true), receiptId: 9, sender: "nodeA",
                        messageId: "m1")),
            ])
            let receipt = try #require(dead[0])
            #expect(receipt.outcome == 1)
            #expect(receipt.reason == "max attempts")
            #expect(receipt.sender == "nodeA")
            #expect(receipt.messageId == "m1")
            #expect(dead[1]?.outcome == 1)
            #expect(dead[2]?.outcome == 1)
            #expect(dead[3] == nil)

            #expect(
                try store.loadHeldCases() == [
                    HeldCase(caseId: "case-7", recipient: "nodeB", seq: seqs[0], since: 5_000, reason: "max attempts")
                ])
            #expect(try store.deadLetterCounts() == ["nodeB": 3])
            #expect(try store.loadOpenDeliveries().isEmpty)
            #expect(try store.loadUnconfirmedReceipts().map(\.outcome) == [1, 1, 1])
        }
    }

    @Test func deadLetteredWithoutHoldCaseHoldsNothing() throws {
        try withStore { store, _ in
            let seq = try #require(
                try store.run([.accept(AcceptUnit(message: message("m1", caseId: "case-1")))])[0].storedSeq)
            _ = try store.run([
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: "case-1", at: 5, attempts: 1, firstAttemptAt: 1,
                        outcome: .deadLettered(reason: "r", holdCase: false), receiptId: 10, sender: "nodeA",
                        messageId: "m1"))
            ])
            #expect(try store.loadHeldCases().isEmpty)
            #expect(try store.deadLetterCounts() == ["nodeB": 1])
        }
    }

    @Test func receiptConfirmedLeavesUnconfirmed() throws {
        try withStore { store, _ in
            let seq = try #require(
                try store.run([.accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"])))])[0].storedSeq)
            let receipts = try store.runReceipts([
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeB", caseId: nil, at: 10, attempts: 1, firstAttemptAt: 5,
                        outcome: .delivered,
                        receiptId: 11, sender: "nodeA", messageId: "m1")),
                .settle(
                    Settlement(
                        seq: seq, recipient: "nodeC", caseId: nil, at: 11, attempts: 2, firstAttemptAt: 5,
                        outcome: .delivered,
                        receiptId: 12, sender: "nodeA", messageId: "m1")),
            ]).compactMap { $0 }
            #expect(try store.loadUnconfirmedReceipts() == receipts)
            #expect(receipts[0].id < receipts[1].id)

            let confirmed = try store.run([
                .confirmReceipt(id: receipts[0].id, at: 20),
                .confirmReceipt(id: receipts[0].id, at: 21),  // twice: harmless
                .confirmReceipt(id: 9_999, at: 22),  // unknown: harmless
            ])
            #expect(confirmed == [.done, .done, .done])
            #expect(try store.loadUnconfirmedReceipts() == [receipts[1]])
        }
    }

    @Test func failingBatchLeavesNothing() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            let secret = Array("SECRET-BODY-CONTENT".utf8)
            let kept = try #require(try store.run([.accept(AcceptUnit(message: message("m0")))])[0].storedSeq)
            let before = store.statistics

            // Priority 7 violates a CHECK constraint after two good ops of the same batch.
            var error = #expect(throws: BrokerStoreError.self) {
                try store.run([
                    .accept(AcceptUnit(message: message("m1", body: secret))),
                    .settle(
                        Settlement(
                            seq: kept, recipient: "nodeB", caseId: nil, at: 5, attempts: 1, firstAttemptAt: 4,
                            outcome: .delivered,
                            receiptId: 13, sender: "nodeA", messageId: "m1")),
                    .accept(AcceptUnit(message: message("m2", priority: 7, body: secret))),
                ])
            }
            #expect(error?.path == path)
            #expect(error?.operation == "run")
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("SECRET") == false)

            // A recipient listed twice violates the deliveries primary key.
            error = #expect(throws: BrokerStoreError.self) {
                try store.run([
                    .accept(AcceptUnit(message: message("m3", body: secret))),
                    .accept(AcceptUnit(message: message("m4", to: ["nodeB", "nodeB"], body: secret))),
                ])
            }
            #expect(error?.description.contains("SECRET") == false)

            #expect(store.statistics == before)
            // The store is still usable after a failed batch, and m1 can be stored for real now.
            #expect(try store.run([.accept(AcceptUnit(message: message("m1")))])[0].storedSeq != nil)
            try store.close()

            // Applying to a closed store fails too, naming the path.
            error = #expect(throws: BrokerStoreError.self) {
                try store.run([.accept(AcceptUnit(message: message("m9")))])
            }
            #expect(error?.description.contains(path) == true)

            let reopened = try BrokerStore(path: path)
            defer { try? reopened.close() }
            let open = try reopened.loadOpenDeliveries()
            #expect(open.map(\.messageId) == ["m0", "m1"])  // m0 still pending: its ack rolled back
            #expect(try reopened.loadUnconfirmedReceipts().isEmpty)
            #expect(try reopened.trail(sender: "nodeA", messageId: "m2").isEmpty)
            #expect(try reopened.trail(sender: "nodeA", messageId: "m3").isEmpty)
        }
    }

    @Test func statisticsCountTransactionsAndRows() throws {
        try withStore { store, _ in
            #expect(store.statistics == StoreStatistics(transactions: 0, rowsWritten: 0))
            #expect(try store.run([]) == [])
            #expect(store.statistics.transactions == 0)

            let seq = try #require(
                try store.run([
                    .accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"]))),  // 1 message + 2 deliveries
                    .accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"]))),  // duplicate: 0
                ])[0].storedSeq)
            #expect(store.statistics == StoreStatistics(transactions: 1, rowsWritten: 3))

            let receipt = try #require(
                try store.runReceipts([
                    .settle(
                        Settlement(
                            seq: seq, recipient: "nodeB", caseId: nil, at: 1, attempts: 1, firstAttemptAt: 1,
                            outcome: .delivered,
                            receiptId: 14, sender: "nodeA", messageId: "m1")),  // 2
                    .trail(
                        TrailEventRecord(at: 1, seq: seq, recipient: "nodeC", event: .nacked, attempt: 1, detail: nil)
                    ),  // 1
                ])[0])
            #expect(store.statistics == StoreStatistics(transactions: 2, rowsWritten: 6))

            _ = try store.run([.confirmReceipt(id: receipt.id, at: 2)])  // 1
            #expect(store.statistics == StoreStatistics(transactions: 3, rowsWritten: 7))
        }
    }
}
