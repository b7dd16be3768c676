import Foundation
import Testing

@testable import ReferralClient

@Suite struct InboxStoreTests {
    @Test func aRedeliveredMessageIsStoredOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        #expect(try store.insert(delivery("test-b:1", seq: 7), now: 1))
        #expect(try !store.insert(delivery("test-b:1", seq: 7), now: 2))
        // In one batch too, as when a redelivery arrives together with the first copy.
        var batch = StoreBatch()
        batch.deliveries = [delivery("test-b:2", seq: 8), delivery("test-b:2", seq: 8), delivery("test-b:1", seq: 7)]
        let result = try store.apply(batch, now: 3)
        #expect(result.newMessages == 1)
        #expect(try store.inboxCount() == 2)
        // The key is (from, id): another sender may use the same id.
        #expect(try store.insert(delivery("test-b:1", from: "test-c", seq: 9), now: 4))
        #expect(try store.inboxCount() == 3)
    }

    @Test func completedKeysStillDeduplicate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        try store.insert(delivery("test-b:1", seq: 7), now: 1)
        try await store.complete([InboxKey(from: "test-b", id: "test-b:1")], now: 2)
        #expect(try store.openMessageCount() == 0)
        #expect(try !store.insert(delivery("test-b:1", seq: 7), now: 3))
        #expect(try await store.openMessages(excluding: [], limit: 10).isEmpty)
    }

    /// Many completions in one commit; the open messages come oldest first, at most `limit`, skipping those
    /// offered elsewhere in the process.
    @Test func openMessagesInBatchesAndCompletedInOneCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        for seq in 1...5 { try store.insert(delivery("test-b:\(seq)", seq: Int64(seq)), now: Int64(seq)) }
        let offered: Set<InboxKey> = [InboxKey(from: "test-b", id: "test-b:2")]
        let batch = try await store.openMessages(excluding: offered, limit: 3)
        #expect(batch.map(\.id) == ["test-b:1", "test-b:3", "test-b:4"])
        try await store.complete(batch.map { InboxKey(from: $0.from, id: $0.id) }, now: 10)
        #expect(try store.openMessageCount() == 2)
        #expect(try await store.openMessages(excluding: [], limit: 10).map(\.id) == ["test-b:2", "test-b:5"])
    }

    @Test func receiptsAreRecordedOnceAndTakenOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        let delivered = DeliveryReceipt(
            receipt: 77, seq: 1042, messageId: "m-1", recipient: "test-b", delivered: true, at: 5, reason: nil)
        let dead = DeliveryReceipt(
            receipt: 78, seq: 1042, messageId: "m-1", recipient: "test-c", delivered: false, at: 6,
            reason: "10 attempts failed")
        var batch = StoreBatch()
        batch.receipts = [delivered, delivered, dead]
        #expect(try store.apply(batch, now: 10).newReceipts == 2)
        #expect(try store.receipts(forMessage: "m-1") == [delivered, dead])
        #expect(try store.takeNextReceipt(now: 11) == delivered)
        #expect(try store.takeNextReceipt(now: 12) == dead)
        #expect(try store.takeNextReceipt(now: 13) == nil)
        #expect(try store.receipts(forMessage: "m-1").count == 2)
    }
}
