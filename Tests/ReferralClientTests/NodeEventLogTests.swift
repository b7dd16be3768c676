import Foundation
import GRDB
import Testing

@testable import ReferralClient

/// The node store's event log (migration v7): one entry per final answer and per new receipt, in the answer's own
/// transaction; durable named cursors; waiting for new entries; pruning by age. Made-up data only.
@Suite struct NodeEventLogTests {
    @Test func finalAnswersAndNewReceiptsAreLoggedOnceInCommitOrder() async throws {
        try await withStore { store in
            _ = try await store.enqueue([outgoing("m-1"), outgoing("m-2"), outgoing("m-3")], now: 1)
            try apply(
                store,
                answers: [
                    .accepted(id: "m-1", seq: 7, duplicate: false, recipients: 1),
                    .retryLater(id: "m-2", code: "OVERLOADED", reason: "made-up", notBefore: 50),
                ])
            try apply(
                store,
                answers: [
                    .rejected(
                        id: "m-2", code: "UNKNOWN_RECIPIENT", reason: "made-up", field: "to", recipient: "test-z"),
                    // A late answer to an entry already settled changes nothing and logs nothing.
                    .accepted(id: "m-1", seq: 7, duplicate: true, recipients: 1),
                ],
                receipts: [receipt(1, "m-1"), receipt(2, "m-3", delivered: false)])
            // The same receipt again (the broker resends it until confirmed) is not logged twice.
            try apply(store, receipts: [receipt(1, "m-1")])

            let events = try await store.events(after: 0, limit: 10)
            #expect(events.map(\.kind) == [.accepted, .rejected, .delivered, .deadLettered])
            #expect(events.map(\.messageId) == ["m-1", "m-2", "m-1", "m-3"])
            #expect(events.map(\.number) == [1, 2, 3, 4])
            #expect(events[0].seq == 7 && events[0].at == 10)
            #expect(events[1].code == "UNKNOWN_RECIPIENT" && events[1].field == "to" && events[1].recipient == "test-z")
            #expect(events[2].deliveryReceipt == receipt(1, "m-1"))
            #expect(events[3].deliveryReceipt == receipt(2, "m-3", delivered: false))
            #expect(events[3].reason == "made-up reason")
            #expect(try await store.events(after: 2, limit: 1).map(\.number) == [3])
            #expect(try await store.lastEventNumber() == 4)
            // Reading takes nothing: the receipts are still there for `nextReceipt`, and the log for the next reader.
            #expect(try store.takeNextReceipt(now: 20)?.receipt == 1)
            #expect(try await store.events(after: 0, limit: 10).count == 4)
        }
    }

    @Test func aCursorIsDurableAndOnlyMovesForward() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        do {
            let store = try NodeStore(path: path)
            defer { store.close() }
            #expect(try await store.eventCursor("webhook") == 0)
            try await store.setEventCursor("webhook", to: 5, now: 1)
            try await store.setEventCursor("webhook", to: 3, now: 2)
            try await store.setEventCursor("dashboard", to: 1, now: 2)
            #expect(try await store.eventCursor("webhook") == 5)
        }
        let reopened = try NodeStore(path: path)
        defer { reopened.close() }
        #expect(try await reopened.eventCursor("webhook") == 5)
        #expect(try await reopened.eventCursor("dashboard") == 1)
    }

    @Test func pruningDropsOldEventsAndNumbersAreNeverGivenAgain() async throws {
        try await withStore { store in
            _ = try await store.enqueue([outgoing("m-1"), outgoing("m-2")], now: 1)
            try apply(store, answers: [.accepted(id: "m-1", seq: 7, duplicate: false)], now: 100)
            try apply(store, answers: [.accepted(id: "m-2", seq: 8, duplicate: false)], now: 200)
            #expect(try await store.pruneEvents(recordedBefore: 150) == 1)
            #expect(try await store.events(after: 0, limit: 10).map(\.messageId) == ["m-2"])
            #expect(try await store.pruneEvents(recordedBefore: 1_000) == 1)
            #expect(try await store.events(after: 0, limit: 10).isEmpty)
            try apply(store, receipts: [receipt(1, "m-1")], now: 300)
            #expect(try await store.events(after: 0, limit: 10).map(\.number) == [3], "not 1 again")
        }
    }

    /// A store written before v7: its receipts not yet taken by `nextReceipt` are in the log, those taken are not.
    @Test func aV6StoreLogsItsReceiptsNotYetReported() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        let old = try DatabaseQueue(path: path)
        try NodeSchema.migrator.migrate(old, upTo: "v6-outbox-state-range")
        try await old.write { db in
            try db.execute(
                sql: """
                    INSERT INTO receipts (receipt, seq, message_id, recipient, delivered, at, reason, received_at,
                        reported_at)
                    VALUES (4, 7, 'm-1', 'test-b', 1, 5, NULL, 6, 9),
                        (5, 8, 'm-2', 'test-b', 0, 5, 'made-up reason', 6, NULL),
                        (6, 9, 'm-3', 'test-c', 1, 5, NULL, 6, NULL);
                    """)
        }
        try old.close()
        let store = try NodeStore(path: path)
        defer { store.close() }
        let events = try await store.events(after: 0, limit: 10)
        #expect(events.map(\.receipt) == [5, 6])
        #expect(events.map(\.kind) == [.deadLettered, .delivered])
        #expect(events.first?.recordedAt == 6)
    }

    /// The node's API: `nextEvents` returns what is there at once, waits (no thread blocked) for the connection
    /// thread's wake-up otherwise, and gives up after its timeout; the cursor survives the node.
    @Test func theNodeWaitsForNewEventsAndKeepsItsCursor() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        _ = try await node.send(outgoing("m-1"))
        #expect(try await node.nextEvents(after: 0, timeout: .milliseconds(50)).isEmpty)
        let waiting = Task { try await node.nextEvents(after: 0, timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(100))
        // What the connection thread does after a commit with new events.
        var batch = StoreBatch()
        batch.answers = [.accepted(id: "m-1", seq: 3, duplicate: false)]
        _ = try node.store.apply(batch, now: 10)
        node.shared.waiters.wake([.eventLog])
        let events = try await waiting.value
        #expect(events.map(\.kind) == [.accepted] && events.first?.seq == 3)
        try await node.setEventCursor("webhook", to: events[0].number)
        #expect(try await node.lastEventNumber() == 1)
        await node.shutdown()

        let again = try ReferralNode(configuration: configuration(in: directory))
        #expect(try await again.eventCursor("webhook") == 1)
        #expect(try await again.events(after: 1).isEmpty)
        // Recorded at 10 ms after the epoch: older than an hour.
        #expect(try await again.pruneEvents(olderThan: .seconds(3600)) == 1)
        #expect(try await again.events(after: 0).isEmpty)
        #expect(try await again.lastEventNumber() == 1)
        await again.shutdown()
    }

    private func withStore(_ body: (NodeStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        try await body(store)
    }

    private func apply(
        _ store: NodeStore, answers: [OutboxAnswer] = [], receipts: [DeliveryReceipt] = [], now: Int64 = 10
    ) throws {
        var batch = StoreBatch()
        batch.answers = answers
        batch.receipts = receipts
        _ = try store.apply(batch, now: now)
    }

    private func receipt(_ number: Int64, _ id: String, delivered: Bool = true) -> DeliveryReceipt {
        DeliveryReceipt(
            receipt: number, seq: 7, messageId: id, recipient: "test-b", delivered: delivered, at: 5,
            reason: delivered ? nil : "made-up reason")
    }
}
