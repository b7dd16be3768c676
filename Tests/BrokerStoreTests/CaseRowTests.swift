import BrokerStore
import Foundation
import Testing

@Suite struct CaseRowTests {
    /// `loadOpenCases` returns the open and rejected cases, never completed, failed or cancelled ones.
    @Test func loadOpenCasesLeavesClosedCasesOut() throws {
        try withStore { store, _ in
            let statuses = [
                "requested", "received", "accepted", "rejected", "in-progress", "on-hold", "completed", "failed",
                "cancelled",
            ]
            _ = try store.apply(
                statuses.enumerated().map { index, status in
                    .upsertCase(
                        CaseRecord(
                            caseId: "case-\(index)", status: status, referrer: "school-1", service: "clinic-1",
                            attempt: 1, openedAt: 10, updatedAt: 20, risk: "routine"))
                })
            let open = try store.loadOpenCases()
            #expect(open.map(\.status) == Array(statuses.prefix(6)))
            #expect(
                open.first
                    == CaseRecord(
                        caseId: "case-0", status: "requested", referrer: "school-1", service: "clinic-1", attempt: 1,
                        openedAt: 10, updatedAt: 20, risk: "routine"))
        }
    }

    /// `upsertCaseIfStored` writes the case only when the accept before it stored its message: a duplicate or
    /// a conflicting resend leaves the row as it was.
    @Test func caseMoveIsWrittenOnlyWithAStoredMessage() throws {
        try withStore { store, _ in
            let opened = CaseRecord(caseId: "c1", status: "requested", referrer: "nodeA", service: "nodeB")
            _ = try store.apply([.accept(message("m1", caseId: "c1")), .upsertCaseIfStored(opened)])
            #expect(try store.caseRecord(id: "c1") == opened)

            var moved = opened
            moved.status = "received"
            // The same message again (duplicate) and different content under its id (conflict): no move.
            _ = try store.apply([.accept(message("m1", caseId: "c1")), .upsertCaseIfStored(moved)])
            _ = try store.apply([
                .accept(message("m1", caseId: "c1", body: Array("other".utf8))), .upsertCaseIfStored(moved),
            ])
            #expect(try store.caseRecord(id: "c1")?.status == "requested")
            // Without an accept before it in the batch, nothing is written either.
            _ = try store.apply([.upsertCaseIfStored(moved)])
            #expect(try store.caseRecord(id: "c1")?.status == "requested")

            // A stored message moves it, even with an audit record between them.
            _ = try store.apply([
                .accept(message("m2", caseId: "c1")),
                .audit(AuditEvent(at: 5, event: AuditEvent.Name.accepted, node: "nodeA", messageId: "m2")),
                .upsertCaseIfStored(moved),
            ])
            #expect(try store.caseRecord(id: "c1")?.status == "received")

            let stored = try #require(try store.storedDigest(sender: "nodeA", messageId: "m1"))
            #expect(stored.digest == message("m1").digest)
            #expect(try store.storedDigest(sender: "nodeA", messageId: "nope") == nil)
        }
    }
}
