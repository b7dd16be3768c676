import Foundation
import Testing

@testable import ReferralClient

/// The sending side of `ReferralNode` without a broker: the answers are applied as the connection thread would.
@Suite struct NodeSendTests {
    @Test func sendCommitsAndOutcomeWaitsForTheAnswer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        let id = try await node.send(OutgoingMessage(to: ["test-b"], kind: "test.note", body: [1, 2, 3]))
        #expect(UUID(uuidString: id) != nil)
        #expect(try node.outboxEntry(id: id)?.state == .queued)
        await #expect(throws: ReferralClientError.timedOut) {
            try await node.outcome(of: id, timeout: .milliseconds(20))
        }
        async let outcome = node.outcome(of: id, timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(50))
        var batch = StoreBatch()
        batch.answers = [.accepted(id: id, seq: 5, duplicate: false)]
        _ = try node.store.apply(batch, now: 1)
        node.shared.waiters.wake([.outcome(id)])
        #expect(try await outcome == .accepted(seq: 5, duplicate: false))
        // Answered: returns at once.
        #expect(try await node.outcome(of: id, timeout: .zero) == .accepted(seq: 5, duplicate: false))
        await #expect(throws: ReferralClientError.unknownMessage("nope")) {
            try await node.outcome(of: "nope")
        }
        await node.shutdown()
    }

    @Test func batchSendIsOneTransactionAndRestartKeepsTheQueue() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        do {
            let node = try ReferralNode(configuration: configuration(in: directory))
            let ids = try await node.send(batch: [outgoing("test-a:1"), outgoing("test-a:2")])
            #expect(ids == ["test-a:1", "test-a:2"])
            await #expect(throws: ReferralClientError.self) {
                try await node.send(batch: [outgoing("test-a:3"), outgoing("test-a:4", to: ["Bad Node"])])
            }
            await node.shutdown()
            await #expect(throws: ReferralClientError.shutDown) { try await node.send(outgoing("test-a:5")) }
        }
        let node = try ReferralNode(configuration: configuration(in: directory))
        #expect(try node.store.queuedOutbox(after: 0, limit: 10).map(\.id) == ["test-a:1", "test-a:2"])
        #expect(try node.outboxEntry(id: "test-a:3") == nil)
        await node.shutdown()
    }

    @Test func receiptsCanBeAwaited() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        async let receipts = node.waitForReceipts(of: "m-1", count: 2, timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(30))
        for (number, recipient) in [(Int64(1), "test-b"), (2, "test-c")] {
            var batch = StoreBatch()
            batch.receipts = [
                DeliveryReceipt(
                    receipt: number, seq: 4, messageId: "m-1", recipient: recipient, delivered: true, at: 9,
                    reason: nil)
            ]
            _ = try node.store.apply(batch, now: 10)
            node.shared.waiters.wake([.receipts("m-1"), .receiptLog])
        }
        #expect(try await receipts.map(\.recipient) == ["test-b", "test-c"])
        #expect(try await node.nextReceipt(timeout: .zero)?.receipt == 1)
        #expect(try await node.nextReceipt(timeout: .zero)?.receipt == 2)
        #expect(try await node.nextReceipt(timeout: .milliseconds(10)) == nil)
        await node.shutdown()
    }

    @Test func shutdownEndsWaits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        let id = try await node.send(outgoing("m-1"))
        let waiting = Task { try await node.outcome(of: id) }
        try await Task.sleep(for: .milliseconds(30))
        await node.shutdown()
        await #expect(throws: ReferralClientError.shutDown) { try await waiting.value }
        await node.shutdown()  // idempotent
    }

    @Test func oneNodeOneProcess() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let first = try ReferralNode(configuration: configuration(in: directory))
        #expect(throws: ReferralClientError.storeInUse(directory.file("node.sqlite"))) {
            try ReferralNode(configuration: configuration(in: directory))
        }
        await first.shutdown()
        let second = try ReferralNode(configuration: configuration(in: directory))
        await second.shutdown()
    }
}
