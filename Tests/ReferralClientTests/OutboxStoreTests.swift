import Foundation
import GRDB
import ReferralProtocol
import Synchronization
import Testing

@testable import ReferralClient

@Suite struct OutboxStoreTests {
    @Test func storeUsesWALAndFullSync() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("sub/dir/node.sqlite"))
        defer { store.close() }
        let pragmas = try store.pragmas()
        #expect(pragmas.journalMode == "wal")
        #expect(pragmas.synchronous == 2)
        let autocheckpoint = try await store.read("test") { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(autocheckpoint == NodeStore.walAutocheckpointPages)
    }

    @Test func committedMessageSurvivesReopeningWithItsId() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        do {
            let store = try NodeStore(path: path)
            let ids = try await store.enqueue(
                [outgoing("test-a:000001", caseId: "3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B", priority: .urgent)],
                now: 1000)
            #expect(ids == ["test-a:000001"])
            store.close()
        }
        let store = try NodeStore(path: path)
        defer { store.close() }
        let entry = try #require(try store.outboxEntry(id: "test-a:000001"))
        #expect(entry.state == .queued)
        #expect(entry.to == ["test-b"])
        #expect(entry.caseId == "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b")
        #expect(entry.priority == .urgent)
        #expect(entry.outcome == nil)
        let rows = try store.queuedOutbox(after: 0, limit: 10)
        #expect(rows.map(\.id) == ["test-a:000001"])
        #expect(rows[0].body == Array("{\"note\":\"made-up\"}".utf8))
    }

    /// The entries `enqueue` hands to the connection thread after its commit are those the store gives back, in
    /// commit order; an id already there with the same content is not handed over again.
    @Test func theEntriesHandedOverAfterTheCommitAreThoseTheStoreReadsBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        let handed = Mutex<[[OutboxRow]]>([])
        let plan = FollowUpHeader(steps: [.within(days: 7)], visitsBy: ["test-b"], owner: "test-c")
        let first = [
            outgoing("m-1", caseId: "3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B", priority: .urgent),
            OutgoingMessage(
                id: "d-1", to: ["test-b", "test-c"], kind: "discharge.notice",
                caseId: "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b", body: [], followUp: plan, validatesBody: false),
        ]
        _ = try await store.enqueue(first, now: 1) { rows in handed.withLock { $0.append(rows) } }
        _ = try await store.enqueue(
            [
                outgoing("m-1", caseId: "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b", priority: .urgent),
                outgoing("m-2"),
            ], now: 2
        ) { rows in handed.withLock { $0.append(rows) } }
        let stored = try store.queuedOutbox(after: 0, limit: 10)
        #expect(handed.withLock { $0.map { $0.map(\.id) } } == [["m-1", "d-1"], ["m-2"]])
        #expect(handed.withLock { $0.flatMap { $0 } } == stored)
    }

    /// A discharge notice's follow-up plan (1/RBP §7.3.2) is kept with the outbox entry and sent again after a
    /// restart; a different plan is different content; a plan on another kind is refused before the outbox.
    @Test func followUpPlanIsKeptInTheOutboxAndIsContent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        let plan = FollowUpHeader(
            steps: [.within(days: 7), .every(days: 30, months: 6)], visitsBy: ["test-b", "test-a"], owner: "test-c")
        let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
        var notice = OutgoingMessage(
            id: "d-1", to: ["test-a", "test-b"], kind: "discharge.notice", caseId: caseId, body: [1], followUp: plan,
            validatesBody: false)
        do {
            let store = try NodeStore(path: path)
            _ = try await store.enqueue([notice], now: 1)
            store.close()
        }
        let store = try NodeStore(path: path)
        defer { store.close() }
        let row = try #require(try store.queuedOutbox(after: 0, limit: 10).first)
        #expect(row.followUp?.steps == plan.steps)
        #expect(Set(row.followUp?.visitsBy ?? []) == ["test-a", "test-b"])
        #expect(row.followUp?.owner == "test-c")
        notice.followUp?.owner = nil
        await #expect(throws: ReferralClientError.conflictingId("d-1")) { try await store.enqueue([notice], now: 2) }
        let misplaced = OutgoingMessage(
            id: "r-1", to: ["test-b"], kind: "referral.request", caseId: caseId, body: [1], followUp: plan,
            validatesBody: false)
        await #expect(throws: ReferralClientError.self) { try await store.enqueue([misplaced], now: 3) }
    }

    @Test func sameIdSameContentIsIdempotentDifferentContentConflicts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        _ = try await store.enqueue([outgoing("m-1", to: ["test-b", "test-c"])], now: 1)
        _ = try await store.enqueue([outgoing("m-1", to: ["test-c", "test-b"])], now: 2)
        #expect(try store.queuedCount() == 1)
        await #expect(throws: ReferralClientError.conflictingId("m-1")) {
            try await store.enqueue([outgoing("m-2"), outgoing("m-1", body: "other")], now: 3)
        }
        // All or nothing: m-2 was rolled back with the conflicting m-1.
        #expect(try store.outboxEntry(id: "m-2") == nil)
    }

    @Test func invalidMessagesAreRefusedBeforeTheyAreStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NodeStore(path: directory.file("node.sqlite"))
        defer { store.close() }
        await #expect(throws: ReferralClientError.self) { try await store.enqueue([outgoing("bad id")], now: 1) }
        await #expect(
            throws: ReferralClientError.invalidMessage(field: "to", problem: "must name at least one recipient")
        ) {
            try await store.enqueue([outgoing("m-1", to: [])], now: 1)
        }
        do {
            _ = try await store.enqueue([outgoing("m-1", caseId: "not-a-uuid")], now: 1)
            Issue.record("accepted a bad case id")
        } catch ReferralClientError.invalidMessage(let field, _) {
            #expect(field == "case")
        }
        #expect(try store.queuedCount() == 0)
    }

    @Test func answersAreRecorded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.file("node.sqlite")
        do {
            let store = try NodeStore(path: path)
            _ = try await store.enqueue([outgoing("m-1"), outgoing("m-2"), outgoing("m-3")], now: 1)
            var batch = StoreBatch()
            batch.answers = [
                .accepted(id: "m-1", seq: 1042, duplicate: false),
                .rejected(
                    id: "m-2", code: "UNKNOWN_RECIPIENT", reason: "recipient is not a known node", field: nil,
                    recipient: "no-such-node"),
                .retryLater(id: "m-3", code: "OVERLOADED", reason: "busy", notBefore: 5000),
                // A late answer to an entry already settled changes nothing.
                .rejected(id: "m-1", code: "CONFLICT", reason: "x", field: nil, recipient: nil),
            ]
            _ = try store.apply(batch, now: 10)
            store.close()
        }
        let store = try NodeStore(path: path)
        defer { store.close() }
        let accepted = try #require(try store.outboxEntry(id: "m-1"))
        #expect(accepted.state == .accepted)
        #expect(accepted.outcome == .accepted(seq: 1042, duplicate: false))
        let rejected = try #require(try store.outboxEntry(id: "m-2"))
        #expect(rejected.state == .rejected)
        #expect(rejected.code == "UNKNOWN_RECIPIENT")
        #expect(rejected.recipient == "no-such-node")
        #expect(
            rejected.outcome
                == .rejected(code: "UNKNOWN_RECIPIENT", retry: false, reason: "recipient is not a known node"))
        let retrying = try #require(try store.outboxEntry(id: "m-3"))
        #expect(retrying.state == .queued)
        #expect(retrying.retries == 1)
        #expect(retrying.code == "OVERLOADED")
        // Only the retrying entry is still to be sent, with its resend time.
        let queued = try store.queuedOutbox(after: 0, limit: 10)
        #expect(queued.map(\.id) == ["m-3"])
        #expect(queued[0].notBefore == 5000)
        // The accepted body is gone, but the same content can still be sent again idempotently.
        #expect(try await store.enqueue([outgoing("m-1")], now: 20) == ["m-1"])
        await #expect(throws: ReferralClientError.conflictingId("m-1")) {
            try await store.enqueue([outgoing("m-1", body: "different")], now: 20)
        }
    }
}
