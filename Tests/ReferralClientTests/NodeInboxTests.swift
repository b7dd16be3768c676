import Foundation
import Synchronization
import Testing

@testable import ReferralClient

/// The application side of the inbox, through `ReferralNode` (never started: no broker is needed).
@Suite struct NodeInboxTests {
    @Test func anUncompletedMessageIsOfferedAgainAfterARestartACompletedOneIsNot() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        do {
            let node = try ReferralNode(configuration: configuration(in: directory))
            try node.store.insert(delivery("test-b:1", seq: 1, body: "first"), now: 1)
            try node.store.insert(delivery("test-b:2", seq: 2, body: "second"), now: 2)
            try node.store.insert(delivery("test-b:3", seq: 3, body: "third"), now: 3)

            let first = try #require(try await node.nextMessage(timeout: .zero))
            #expect(first.id == "test-b:1")
            #expect(first.body == Array("first".utf8))
            #expect(first.from == "test-b")
            #expect(first.priority == .urgent)
            // Offered once per process: the next call skips it although it is not completed.
            let second = try #require(try await node.nextMessage(timeout: .zero))
            #expect(second.id == "test-b:2")
            try await node.complete(second)
            try await node.complete(second)  // idempotent
            let third = try #require(try await node.nextMessage(timeout: .zero))
            #expect(third.id == "test-b:3")
            try await node.complete(third)
            #expect(try await node.nextMessage(timeout: .milliseconds(20)) == nil)
            await node.shutdown()  // "crash" with test-b:1 taken but not completed
        }
        let node = try ReferralNode(configuration: configuration(in: directory))
        let again = try #require(try await node.nextMessage(timeout: .zero))
        #expect(again.id == "test-b:1")
        #expect(again.body == Array("first".utf8))
        try await node.complete(again)
        #expect(try await node.nextMessage(timeout: .zero) == nil)
        await node.shutdown()

        let reopened = try ReferralNode(configuration: configuration(in: directory))
        #expect(try await reopened.nextMessage(timeout: .zero) == nil)
        #expect(try reopened.store.inboxCount() == 3)
        await reopened.shutdown()
    }

    @Test func aWaitingCallerGetsAMessageWhenTheConnectionThreadCommitsIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        async let next = node.nextMessage(timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(50))
        // What the connection thread does: commit, then wake.
        var batch = StoreBatch()
        batch.deliveries = [delivery("test-b:9", seq: 9)]
        #expect(try node.store.apply(batch, now: 1).newMessages == 1)
        node.shared.waiters.wake([.inbox])
        let message = try await next
        #expect(message?.id == "test-b:9")
        await node.shutdown()
    }

    @Test func handlerReturnCompletesAndAThrowingHandlerLeavesTheMessage() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        try node.store.insert(delivery("test-b:1", seq: 1), now: 1)
        try node.store.insert(delivery("test-b:2", seq: 2), now: 2)
        struct Refused: Error {}
        let seen = Mutex<[String]>([])
        let handling = Task {
            try await node.handleMessages { message in
                seen.withLock { $0.append(message.id) }
                if message.id == "test-b:1" { throw Refused() }
            }
        }
        while seen.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        handling.cancel()
        await #expect(throws: CancellationError.self) { try await handling.value }
        #expect(seen.withLock { $0 } == ["test-b:1", "test-b:2"])
        #expect(try node.store.openMessageCount() == 1)
        await node.shutdown()

        let restarted = try ReferralNode(configuration: configuration(in: directory))
        #expect(try await restarted.nextMessage(timeout: .zero)?.id == "test-b:1")
        await restarted.shutdown()
    }

    /// `nextMessages(max:)` offers what is stored, oldest first, each once per process; `complete(_:)` of the
    /// batch completes them all; an uncompleted one of a batch comes back after a restart.
    @Test func aBatchIsOfferedOnceAndCompletedTogether() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        do {
            let node = try ReferralNode(configuration: configuration(in: directory))
            for seq in 1...5 { try node.store.insert(delivery("test-b:\(seq)", seq: Int64(seq)), now: Int64(seq)) }
            let first = try await node.nextMessages(max: 3, timeout: .zero)
            #expect(first.map(\.id) == ["test-b:1", "test-b:2", "test-b:3"])
            let rest = try await node.nextMessages(max: 10, timeout: .zero)
            #expect(rest.map(\.id) == ["test-b:4", "test-b:5"])
            #expect(try await node.nextMessages(max: 10, timeout: .milliseconds(20)).isEmpty)
            try await node.complete(first + [rest[1]])
            #expect(try node.store.openMessageCount() == 1)
            await node.shutdown()  // "crash" with test-b:4 taken but not completed
        }
        let node = try ReferralNode(configuration: configuration(in: directory))
        #expect(try await node.nextMessages(max: 10, timeout: .zero).map(\.id) == ["test-b:4"])
        await node.shutdown()
    }

    /// Four takers drain one inbox concurrently, each completing what it takes: every message is handed out exactly
    /// once (a taker whose read overlapped another's completion rechecks before handing a message out).
    @Test func concurrentTakersGetEachMessageOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        let count = 600
        for seq in 1...count { try node.store.insert(delivery("test-b:\(seq)", seq: Int64(seq)), now: Int64(seq)) }
        let taken = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var ids: [String] = []
                    while true {
                        let batch = try await node.nextMessages(max: 2, timeout: .zero)
                        if batch.isEmpty { return ids }
                        ids += batch.map(\.id)
                        try await node.complete(batch)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(taken.count == count, "handed out \(taken.count) times for \(count) messages")
        #expect(Set(taken).count == count)
        #expect(try node.store.openMessageCount() == 0)
        await node.shutdown()
    }
}
